// A read-only view of one ELF64 little-endian file, mapped whole: its PT_LOAD
// segments, section headers and .symtab. The Go readers work on link-time
// virtual addresses, so the view translates vaddr -> file bytes and offsets.
// Hand-parsed (bounds-checked) rather than libelf: a few tables, no allocation
// per lookup, and the bytes stay mapped for the lifetime of the view.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace threadleak {

struct ElfSegment {
    uint64_t vaddr = 0, memsz = 0, offset = 0, filesz = 0;
    uint32_t flags = 0;  ///< PF_R / PF_W / PF_X
};

struct ElfSection {
    std::string name;
    uint32_t type = 0;
    uint64_t flags = 0, addr = 0, offset = 0, size = 0;
};

struct ElfSymbol {
    uint64_t value = 0, size = 0;
};

class ElfImage {
public:
    /// nullptr (and *why_not) when the file cannot be read or is not ELF64 LE.
    static std::unique_ptr<ElfImage> open(const std::string& path, std::string* why_not);
    ~ElfImage();
    ElfImage(const ElfImage&) = delete;
    ElfImage& operator=(const ElfImage&) = delete;

    uint16_t type() const { return type_; }        ///< ET_EXEC, ET_DYN
    uint16_t machine() const { return machine_; }  ///< EM_X86_64
    const std::vector<ElfSegment>& loads() const { return loads_; }
    const std::vector<ElfSection>& sections() const { return sections_; }
    std::span<const uint8_t> file() const { return {data_, size_}; }

    const ElfSection* section(std::string_view name) const;
    /// The section's bytes in the file (empty for SHT_NOBITS or out of bounds).
    std::span<const uint8_t> section_bytes(const ElfSection& s) const;
    /// The PT_LOAD holding vaddr (in memory size, so .bss counts).
    const ElfSegment* segment_of(uint64_t vaddr) const;
    /// `len` file-backed bytes at vaddr, or empty when they are not all in one segment's file part.
    std::span<const uint8_t> bytes_at(uint64_t vaddr, uint64_t len) const;
    /// File offset of vaddr (vaddr - seg.vaddr + seg.offset), when it is file-backed.
    std::optional<uint64_t> file_offset(uint64_t vaddr) const;

    bool has_symtab() const { return symtab_ != nullptr; }
    /// A .symtab entry by exact name (linear scan: callers ask for a handful).
    std::optional<ElfSymbol> symbol(std::string_view name) const;

private:
    ElfImage() = default;
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
    uint16_t type_ = 0, machine_ = 0;
    std::vector<ElfSegment> loads_;
    std::vector<ElfSection> sections_;
    const ElfSection* symtab_ = nullptr;
    const ElfSection* strtab_ = nullptr;
};

}  // namespace threadleak
