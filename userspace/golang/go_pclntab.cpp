#include "golang/go_pclntab.h"

#include <elf.h>

#include <cstring>

#include "golang/elf_image.h"

namespace threadleak {

namespace {

constexpr uint32_t kMagic116 = 0xfffffffa;
constexpr uint32_t kMagic118 = 0xfffffff0;
constexpr uint32_t kMagic120 = 0xfffffff1;

constexpr unsigned kPcdataInlTreeIndex = 2;
constexpr unsigned kFuncdataInlTree = 3;

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
    uint64_t vaddr = 0;
    // Internal linking names it .gopclntab, PIE .data.rel.ro.gopclntab.
    for (const char* name : {".gopclntab", ".data.rel.ro.gopclntab"}) {
        if (const ElfSection* s = image.section(name)) {
            bytes = image.section_bytes(*s);
            vaddr = s->addr;
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
                if (probe) {
                    probe->find_funcdata(image, seg.vaddr + off);
                    return probe;
                }
            }
        }
        if (why_not) *why_not = "no .gopclntab (not a Go 1.16+ program)";
        return nullptr;
    }
    auto syms = from_bytes({bytes.begin(), bytes.end()}, why_not);
    if (syms) syms->find_funcdata(image, vaddr);
    return syms;
}

void GoSymbols::find_funcdata(const ElfImage& image, uint64_t pclntab_vaddr) {
    auto take = [&](uint64_t from, uint64_t gofunc, const char* how) {
        const ElfSegment* seg = image.segment_of(from);
        if (!seg || from >= seg->vaddr + seg->filesz) return false;
        uint64_t end = seg->vaddr + seg->filesz;
        // go:func.* precedes the table in the same segment: stop there.
        if (pclntab_vaddr > from && pclntab_vaddr < end) end = pclntab_vaddr;
        std::span<const uint8_t> b = image.bytes_at(from, end - from);
        if (b.empty()) return false;
        set_funcdata(from, {b.begin(), b.end()}, gofunc);
        funcdata_from_ = how;
        return true;
    };
    if (format_ == Format::go116) {
        // Absolute addresses: the segment of the first inline tree found holds them all
        // (go.func.* is one symbol; .symtab names its start when present).
        if (auto sym = image.symbol("go.func.*"); sym && take(sym->value, 0, "absolute")) return;
        for (size_t i = 0; i < nfunc_; ++i) {
            if (auto v = funcdata_vaddr(funcdata_ + func_off(i), kFuncdataInlTree)) {
                if (const ElfSegment* seg = image.segment_of(*v)) take(seg->vaddr, 0, "absolute");
                return;
            }
        }
        return;
    }
    // Go 1.18+: funcdata are offsets from moduledata.gofunc, the go:func.* symbol.
    for (const char* name : {"go:func.*", "go.func.*"}) {
        if (auto sym = image.symbol(name); sym && take(sym->value, sym->value, ".symtab")) return;
    }
    // Stripped: runtime.firstmoduledata starts with the table's own address, then the
    // funcnametab slice; ftab; and moduledata.text is pcHeader.textStart.
    const uint64_t gofunc_off = format_ == Format::go118 ? 304 : 320;  // 1.20 adds covctrs, ecovctrs
    for (const ElfSegment& seg : image.loads()) {
        if (seg.flags & PF_X) continue;
        std::span<const uint8_t> all = image.bytes_at(seg.vaddr, seg.filesz);
        auto at = [&](size_t off) {
            uint64_t v = 0;
            if (off + 8 <= all.size()) std::memcpy(&v, all.data() + off, 8);
            return v;
        };
        for (size_t off = 0; off + gofunc_off + 8 <= all.size(); off += 8) {
            if (at(off) != pclntab_vaddr || at(off + 8) != pclntab_vaddr + funcname_) continue;
            if (at(off + 128) != pclntab_vaddr + funcdata_ || at(off + 136) != nfunc_ + 1) continue;
            if (at(off + 176) != text_start_) continue;
            if (take(at(off + gofunc_off), at(off + gofunc_off), "moduledata")) return;
        }
    }
}

void GoSymbols::set_funcdata(uint64_t vaddr, std::vector<uint8_t> bytes, uint64_t gofunc) {
    fdata_ = std::move(bytes);
    fdata_vaddr_ = vaddr;
    gofunc_ = gofunc;
    funcdata_from_ = fdata_.empty() ? "" : "set";
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

// _func after its entry (uintptr in 1.16/1.17, uint32 entryoff in 1.18+), at e:
// nameoff +0, args +4, deferreturn +8, pcsp +12, pcfile +16, pcln +20, npcdata +24,
// cuOffset +28, [1.20+: startLine +32], funcID, flag, pad, nfuncdata (uint8 each);
// then npcdata uint32 pcdata offsets; then nfuncdata funcdata: uint32 offsets from
// moduledata.gofunc (1.18+, ~0 = none) or uintptr addresses 8-aligned (1.16/1.17).
void GoSymbols::fill(uint64_t f, uint64_t entry, uint64_t pc, GoFunc* out) const {
    uint64_t e = format_ == Format::go116 ? ptrsize_ : 4;  // _func.entry's size
    out->entry = entry;
    out->name = std::string(cstring(funcname_ + static_cast<int32_t>(u32(f + e))));
    if (auto line = pcvalue(u32(f + e + 20), entry, pc)) out->line = *line;
    if (auto fileno = pcvalue(u32(f + e + 16), entry, pc); fileno && *fileno >= 0) {
        // The file number indexes this function's compilation unit in the cu table.
        uint32_t cu = u32(f + e + 28);
        uint32_t name_off = u32(cu_ + 4 * (uint64_t{cu} + static_cast<uint32_t>(*fileno)));
        if (name_off != 0xffffffffu) out->file = std::string(cstring(filetab_ + name_off));
    }
}

std::optional<GoFunc> GoSymbols::lookup(uint64_t pc) const {
    auto row = find_row(pc);
    if (!row) return std::nullopt;
    GoFunc out;
    fill(funcdata_ + func_off(*row), func_entry(*row), pc, &out);
    return out;
}

std::optional<int32_t> GoSymbols::frame_size(uint64_t pc) const {
    auto row = find_row(pc);
    if (!row) return std::nullopt;
    const uint64_t f = funcdata_ + func_off(*row);
    const uint64_t e = format_ == Format::go116 ? ptrsize_ : 4;
    return pcvalue(u32(f + e + 12), func_entry(*row), pc);  // _func.pcsp
}

int32_t GoSymbols::inline_index(uint64_t f, uint64_t entry, uint64_t pc) const {
    uint64_t e = format_ == Format::go116 ? ptrsize_ : 4;
    if (u32(f + e + 24) <= kPcdataInlTreeIndex) return -1;  // npcdata
    uint64_t fixed = e + (format_ == Format::go120 ? 40 : 36);
    return pcvalue(u32(f + fixed + 4 * kPcdataInlTreeIndex), entry, pc).value_or(-1);
}

std::optional<uint64_t> GoSymbols::funcdata_vaddr(uint64_t f, unsigned i) const {
    uint64_t e = format_ == Format::go116 ? ptrsize_ : 4;
    uint64_t fixed = e + (format_ == Format::go120 ? 40 : 36);
    if (fixed > data_.size() || f > data_.size() - fixed) return std::nullopt;
    unsigned nfuncdata = data_[f + fixed - 1];
    if (i >= nfuncdata) return std::nullopt;
    uint64_t p = fixed + 4 * uint64_t{u32(f + e + 24)};  // past the pcdata offsets
    if (format_ == Format::go116) {
        p = (p + 7) & ~uint64_t{7};  // _func is 8-aligned
        uint64_t v = word(f + p + 8 * i);
        if (v == 0) return std::nullopt;
        return v;
    }
    if (f + p + 4 * (i + 1) > data_.size()) return std::nullopt;
    uint32_t off = u32(f + p + 4 * i);
    if (off == 0xffffffffu || fdata_.empty()) return std::nullopt;
    return gofunc_ + off;
}

std::optional<uint32_t> GoSymbols::fdata_u32(uint64_t vaddr) const {
    if (vaddr < fdata_vaddr_ || vaddr - fdata_vaddr_ > fdata_.size() || fdata_.size() - (vaddr - fdata_vaddr_) < 4)
        return std::nullopt;
    return load_u32(fdata_.data() + (vaddr - fdata_vaddr_));
}

std::vector<GoFunc> GoSymbols::lookup_inlined(uint64_t pc) const {
    std::vector<GoFunc> out;
    auto row = find_row(pc);
    if (!row) return out;
    const uint64_t f = funcdata_ + func_off(*row), entry = func_entry(*row);
    int32_t idx = inline_index(f, entry, pc);
    std::optional<uint64_t> tree;
    if (idx >= 0) tree = funcdata_vaddr(f, kFuncdataInlTree);
    // inlinedCall: 1.16-1.19 {parent int16, funcID uint8, _, file, line, func_ (name
    // offset), parentPc: int32} = 20 bytes; 1.20+ {funcID uint8, _ [3]byte, nameOff,
    // parentPc, startLine: int32} = 16 bytes.
    const uint64_t size = format_ == Format::go120 ? 16 : 20;
    const uint64_t name_at = format_ == Format::go120 ? 4 : 12, parent_pc_at = format_ == Format::go120 ? 8 : 16;
    for (int depth = 0; tree && idx >= 0 && depth < 256; ++depth) {
        uint64_t call = *tree + size * static_cast<uint64_t>(idx);
        auto name_off = fdata_u32(call + name_at), parent_pc = fdata_u32(call + parent_pc_at);
        if (!name_off || !parent_pc) break;
        GoFunc g;
        fill(f, entry, pc, &g);  // file:line of pc: inside the inlined body
        g.name = std::string(cstring(funcname_ + static_cast<int32_t>(*name_off)));
        g.inlined = true;
        out.push_back(std::move(g));
        // Continue from an instruction whose position is the call site.
        pc = entry + static_cast<int32_t>(*parent_pc);
        idx = inline_index(f, entry, pc);
    }
    GoFunc outer;
    fill(f, entry, pc, &outer);
    out.push_back(std::move(outer));
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
