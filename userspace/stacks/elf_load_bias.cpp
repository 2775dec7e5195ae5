#include "stacks/elf_load_bias.h"

#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <memory>

namespace threadleak {
namespace {

struct ElfEnd {
    void operator()(Elf* e) const { elf_end(e); }
};
using ElfPtr = std::unique_ptr<Elf, ElfEnd>;

}  // namespace

std::optional<uint64_t> load_bias(const std::vector<LoadSegment>& segments,
                                  bool fixed_address, uint64_t start,
                                  uint64_t pgoff, uint64_t page_size) {
    if (fixed_address) return 0;
    const uint64_t page_mask = ~(page_size - 1);
    const LoadSegment* found = nullptr;
    for (const LoadSegment& seg : segments) {
        // The kernel maps whole pages, so a mapping of this segment starts at
        // the page holding p_offset, possibly before p_offset itself.
        const uint64_t first = seg.offset & page_mask;
        const uint64_t last = seg.offset + seg.filesz;
        if (pgoff < first || pgoff >= last) continue;
        if (found == nullptr || (seg.executable && !found->executable)) found = &seg;
    }
    if (found == nullptr) return std::nullopt;
    // Linear map inside the segment: vaddr(x) = p_vaddr + (x - p_offset).
    // Unsigned wrap-around is intended for the intermediate terms.
    return start - pgoff + found->offset - found->vaddr;
}

std::optional<ElfLoadInfo> read_elf_load_info(int fd) {
    if (elf_version(EV_CURRENT) == EV_NONE) return std::nullopt;
    ElfPtr elf(elf_begin(fd, ELF_C_READ_MMAP, nullptr));
    if (!elf || elf_kind(elf.get()) != ELF_K_ELF) return std::nullopt;

    GElf_Ehdr ehdr;
    if (gelf_getehdr(elf.get(), &ehdr) == nullptr) return std::nullopt;
    if (ehdr.e_machine != EM_X86_64) return std::nullopt;
    if (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN) return std::nullopt;

    size_t phnum = 0;
    if (elf_getphdrnum(elf.get(), &phnum) != 0) return std::nullopt;
    ElfLoadInfo info;
    info.fixed_address = ehdr.e_type == ET_EXEC;
    for (size_t i = 0; i < phnum; ++i) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf.get(), static_cast<int>(i), &ph) == nullptr) return std::nullopt;
        if (ph.p_type == PT_LOAD) info.segments.push_back({ph.p_offset, ph.p_vaddr, ph.p_filesz, (ph.p_flags & PF_X) != 0});
    }
    return info;
}

std::optional<uint64_t> ElfLoadInfo::bias(uint64_t start, uint64_t pgoff) const {
    const long page = sysconf(_SC_PAGESIZE);
    return load_bias(segments, fixed_address, start, pgoff, page > 0 ? static_cast<uint64_t>(page) : 4096);
}

std::optional<uint64_t> elf_file_load_bias(int fd, uint64_t start, uint64_t pgoff) {
    std::optional<ElfLoadInfo> info = read_elf_load_info(fd);
    return info ? info->bias(start, pgoff) : std::nullopt;
}

}  // namespace threadleak
