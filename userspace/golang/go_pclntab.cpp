#include "golang/go_pclntab.h"

#include <elf.h>

#include <cstring>

#include "golang/elf_image.h"

namespace threadleak {

namespace {

constexpr uint32_t kMagic116 = 0xfffffffa;
constexpr uint32_t kMagic118 = 0xfffffff0;
constexpr uint32_t kMagic120 = 0xfffffff1;

bool known_magic(uint32_t m) { return m == kMagic116 || m == kMagic118 || m == kMagic120; }

uint32_t load_u32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

/// Plausible pcHeader at p (n bytes available): the magic, zero pads, an amd64
/// quantum and pointer size. Used to find the table when section headers are gone.
bool plausible_header(const uint8_t* p, size_t n) {
    if (n < 64) return false;
    return known_magic(load_u32(p)) && p[4] == 0 && p[5] == 0 && p[6] == 1 && p[7] == 8;
}

}  // namespace

std::unique_ptr<GoSymbols> GoSymbols::open(const std::string& path, std::string* why_not) {
    auto image = ElfImage::open(path, why_not);
    if (!image) return nullptr;
    return from_image(*image, why_not);
}

std::unique_ptr<GoSymbols> GoSymbols::from_image(const ElfImage& image, std::string* why_not) {
    std::span<const uint8_t> bytes;
    // Internal linking names it .gopclntab, PIE .data.rel.ro.gopclntab.
    for (const char* name : {".gopclntab", ".data.rel.ro.gopclntab"}) {
        if (const ElfSection* s = image.section(name)) {
            bytes = image.section_bytes(*s);
            break;
        }
    }
    if (bytes.empty()) {
        // No section headers: the runtime's own copy sits in a non-executable
        // segment, pointer aligned; take the first header that parses.
        for (const ElfSegment& seg : image.loads()) {
            if (seg.flags & PF_X) continue;
            std::span<const uint8_t> all = image.bytes_at(seg.vaddr, seg.filesz);
            for (size_t off = 0; off + 64 <= all.size(); off += 8) {
                if (!plausible_header(all.data() + off, all.size() - off)) continue;
                auto probe = from_bytes({all.begin() + static_cast<ptrdiff_t>(off), all.end()}, nullptr);
                if (probe) return probe;
            }
        }
        if (why_not) *why_not = "no .gopclntab (not a Go 1.16+ program)";
        return nullptr;
    }
    return from_bytes({bytes.begin(), bytes.end()}, why_not);
}

std::unique_ptr<GoSymbols> GoSymbols::from_bytes(std::vector<uint8_t> bytes, std::string* why_not) {
    auto syms = std::unique_ptr<GoSymbols>(new GoSymbols());
    syms->data_ = std::move(bytes);
    if (!syms->parse(why_not)) return nullptr;
    return syms;
}

uint64_t GoSymbols::word(uint64_t off) const {
    if (off > data_.size() || data_.size() - off < ptrsize_) return 0;
    uint64_t v = 0;
    std::memcpy(&v, data_.data() + off, ptrsize_);
    return v;
}

uint32_t GoSymbols::u32(uint64_t off) const {
    if (off > data_.size() || data_.size() - off < 4) return 0;
    return load_u32(data_.data() + off);
}

bool GoSymbols::parse(std::string* why_not) {
    auto fail = [&](const std::string& why) {
        if (why_not) *why_not = ".gopclntab: " + why;
        return false;
    };
    if (data_.size() < 8) return fail("too short");
    uint32_t magic = u32(0);
    if (magic == kMagic116) format_ = Format::go116;
    else if (magic == kMagic118) format_ = Format::go118;
    else if (magic == kMagic120) format_ = Format::go120;
    else if (magic == 0xfffffffb) return fail("Go 1.2-1.15 format, older than Go 1.17");
    else return fail("unknown magic");
    quantum_ = data_[6];
    ptrsize_ = data_[7];
    if (ptrsize_ != 8 || quantum_ != 1) return fail("not amd64 (pointer size / pc quantum)");

    // pcHeader: magic, pads, minLC, ptrSize, then words: nfunc, nfiles,
    // [textStart: 1.18+], funcnameOffset, cuOffset, filetabOffset, pctabOffset, pclnOffset.
    uint64_t w = 8;
    nfunc_ = word(w);
    w += 2 * ptrsize_;  // nfiles is not needed: the cu table indexes files
    if (format_ != Format::go116) {
        text_start_ = word(w);
        w += ptrsize_;
    }
    funcname_ = word(w);
    cu_ = word(w + ptrsize_);
    filetab_ = word(w + 2 * ptrsize_);
    pctab_ = word(w + 3 * ptrsize_);
    funcdata_ = word(w + 4 * ptrsize_);
    uint64_t n = data_.size();
    if (nfunc_ == 0 || nfunc_ > n || funcname_ >= n || cu_ >= n || filetab_ >= n || pctab_ >= n ||
        funcdata_ >= n)
        return fail("header offsets out of range");
    uint64_t field = format_ == Format::go116 ? ptrsize_ : 4;
    if ((n - funcdata_) / field < 2 * nfunc_ + 1) return fail("function table truncated");
    return true;
}

uint64_t GoSymbols::func_entry(size_t i) const {
    // Rows are (entry, funcoff); the last row (i == nfunc) holds only the end of text.
    if (format_ == Format::go116) return word(funcdata_ + 2 * i * ptrsize_);
    return text_start_ + u32(funcdata_ + 8 * i);
}

uint64_t GoSymbols::func_off(size_t i) const {
    if (format_ == Format::go116) return word(funcdata_ + (2 * i + 1) * ptrsize_);
    return u32(funcdata_ + 8 * i + 4);
}

std::string_view GoSymbols::cstring(uint64_t off) const {
    if (off >= data_.size()) return {};
    const char* s = reinterpret_cast<const char*>(data_.data() + off);
    return {s, strnlen(s, data_.size() - off)};
}

std::optional<size_t> GoSymbols::find_row(uint64_t pc) const {
    if (pc < func_entry(0) || pc >= func_entry(nfunc_)) return std::nullopt;
    size_t lo = 0, hi = nfunc_;  // entry(lo) <= pc < entry(hi)
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (func_entry(mid) <= pc) lo = mid;
        else hi = mid;
    }
    return lo;
}

std::optional<int32_t> GoSymbols::pcvalue(uint32_t off, uint64_t entry, uint64_t pc) const {
    if (off == 0) return std::nullopt;  // the function has no such table
    uint64_t p = pctab_ + off;
    auto uvarint = [&](uint64_t* out) {
        uint64_t v = 0;
        for (unsigned shift = 0; shift < 64 && p < data_.size(); shift += 7) {
            uint8_t b = data_[p++];
            v |= uint64_t{b & 0x7fu} << shift;
            if (!(b & 0x80)) {
                *out = v;
                return true;
            }
        }
        return false;
    };
    // Pairs of (value delta, zig-zag; pc delta, in quanta), from value -1 at entry;
    // a zero value delta after the first pair ends the table.
    int64_t val = -1;
    uint64_t cur = entry;
    for (bool first = true;; first = false) {
        uint64_t uv = 0, pcd = 0;
        if (!uvarint(&uv) || (uv == 0 && !first)) return std::nullopt;
        int64_t delta = (uv & 1) ? ~static_cast<int64_t>(uv >> 1) : static_cast<int64_t>(uv >> 1);
        val += delta;
        if (!uvarint(&pcd)) return std::nullopt;
        cur += pcd * quantum_;
        if (pc < cur) return static_cast<int32_t>(val);
    }
}

std::optional<GoFunc> GoSymbols::lookup(uint64_t pc) const {
    auto row = find_row(pc);
    if (!row) return std::nullopt;
    uint64_t f = funcdata_ + func_off(*row);
    uint64_t e = format_ == Format::go116 ? ptrsize_ : 4;  // _func.entry's size
    GoFunc out;
    out.entry = func_entry(*row);
    out.name = std::string(cstring(funcname_ + static_cast<int32_t>(u32(f + e))));
    if (auto line = pcvalue(u32(f + e + 20), out.entry, pc)) out.line = *line;
    if (auto fileno = pcvalue(u32(f + e + 16), out.entry, pc); fileno && *fileno >= 0) {
        // The file number indexes this function's compilation unit in the cu table.
        uint32_t cu = u32(f + e + 28);
        uint32_t name_off = u32(cu_ + 4 * (uint64_t{cu} + static_cast<uint32_t>(*fileno)));
        if (name_off != 0xffffffffu) out.file = std::string(cstring(filetab_ + name_off));
    }
    return out;
}

std::optional<uint64_t> GoSymbols::entry_of(const std::string& name) const {
    uint64_t e = format_ == Format::go116 ? ptrsize_ : 4;
    for (size_t i = 0; i < nfunc_; ++i) {
        uint64_t f = funcdata_ + func_off(i);
        if (cstring(funcname_ + static_cast<int32_t>(u32(f + e))) == name) return func_entry(i);
    }
    return std::nullopt;
}

std::optional<std::pair<uint64_t, uint64_t>> GoSymbols::range_of(uint64_t pc) const {
    auto row = find_row(pc);
    if (!row) return std::nullopt;
    return std::make_pair(func_entry(*row), func_entry(*row + 1));
}

std::string_view GoSymbols::format() const {
    switch (format_) {
        case Format::go116: return "1.16";
        case Format::go118: return "1.18";
        case Format::go120: return "1.20";
    }
    return "";
}

}  // namespace threadleak
