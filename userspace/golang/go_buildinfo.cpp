#include "golang/go_buildinfo.h"

#include <elf.h>

#include <cstring>
#include <span>
#include <string_view>

#include "golang/elf_image.h"

namespace threadleak {

namespace {

constexpr std::string_view kMagic{"\xff Go buildinf:", 14};
constexpr size_t kHeaderSize = 32;  // magic, ptrsize, flags, two pointers (or padding)
constexpr size_t kAlign = 16;
constexpr uint8_t kFlagInline = 2;  // Go 1.18+: varint-prefixed strings follow the header
constexpr size_t kSearch = 64 * 1024;  // the linker puts the blob at the start of data

/// The 16-aligned header: the .go.buildinfo section, else the first 64 KiB of the
/// first writable segment (how debug/buildinfo searches when sections are gone).
std::span<const uint8_t> find_blob(const ElfImage& image) {
    std::span<const uint8_t> area;
    if (const ElfSection* s = image.section(".go.buildinfo")) area = image.section_bytes(*s);
    if (area.empty()) {
        for (const ElfSegment& seg : image.loads()) {
            if (!(seg.flags & PF_W)) continue;
            area = image.bytes_at(seg.vaddr, std::min<uint64_t>(seg.filesz, kSearch));
            break;
        }
    }
    for (size_t off = 0; off + kHeaderSize <= area.size(); off += kAlign)
        if (std::memcmp(area.data() + off, kMagic.data(), kMagic.size()) == 0) return area.subspan(off);
    return {};
}

std::optional<uint64_t> uvarint(std::span<const uint8_t> b, size_t* pos) {
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64 && *pos < b.size(); shift += 7) {
        uint8_t c = b[(*pos)++];
        v |= uint64_t{c & 0x7fu} << shift;
        if (!(c & 0x80)) return v;
    }
    return std::nullopt;
}

/// A Go string header (ptr, len) at vaddr, and its bytes (Go before 1.18).
std::optional<std::string> string_at(const ElfImage& image, uint64_t vaddr) {
    std::span<const uint8_t> hdr = image.bytes_at(vaddr, 16);
    if (hdr.empty()) return std::nullopt;
    uint64_t ptr = 0, len = 0;
    std::memcpy(&ptr, hdr.data(), 8);
    std::memcpy(&len, hdr.data() + 8, 8);
    if (len == 0 || len > 256) return std::nullopt;
    std::span<const uint8_t> s = image.bytes_at(ptr, len);
    if (s.empty()) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

}  // namespace

bool has_go_buildinfo(const ElfImage& image) { return !find_blob(image).empty(); }

std::optional<std::string> read_go_version(const ElfImage& image, std::string* why_not) {
    auto fail = [&](const char* why) {
        if (why_not) *why_not = why;
        return std::nullopt;
    };
    std::span<const uint8_t> blob = find_blob(image);
    if (blob.empty()) return fail("no Go build info (\\xff Go buildinf:) in the file");
    uint8_t ptrsize = blob[14], flags = blob[15];
    if (ptrsize != 8 || (flags & 1)) return fail("Go build info of a 32-bit or big-endian target");
    std::optional<std::string> version;
    if (flags & kFlagInline) {
        size_t pos = kHeaderSize;
        auto len = uvarint(blob, &pos);
        if (!len || *len == 0 || *len > blob.size() - pos) return fail("malformed Go build info");
        version.emplace(reinterpret_cast<const char*>(blob.data() + pos), *len);
    } else {
        uint64_t ptr = 0;
        std::memcpy(&ptr, blob.data() + 16, 8);  // &runtime.buildVersion
        version = string_at(image, ptr);
        if (!version) return fail("Go build info points at no version string");
    }
    if (version->rfind("go", 0) != 0 && version->rfind("devel", 0) != 0)
        return fail("Go build info holds no version");
    return version;
}

}  // namespace threadleak
