// Load bias of an ELF file from one of its mappings: the value added to the
// file's virtual addresses (p_vaddr, symbol values, CFI) to get run-time
// addresses. Derived from program headers, so it is right for PIE executables,
// shared libraries, fixed-address executables and lld layouts where a
// segment's p_vaddr differs from its p_offset.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace threadleak {

/// The fields of one PT_LOAD program header that the bias depends on.
struct LoadSegment {
    uint64_t offset = 0;  ///< p_offset
    uint64_t vaddr = 0;   ///< p_vaddr
    uint64_t filesz = 0;  ///< p_filesz
    bool executable = false;  ///< PF_X
};

/// Bias for a mapping at `start` of file offset `pgoff` (page aligned): the
/// segment whose page-aligned file range holds `pgoff` maps file offset
/// `pgoff` to run-time `start`, so bias = start - pgoff + p_offset - p_vaddr.
/// When two segments share the page at `pgoff` (lld without separate-code),
/// the executable one wins: only code mappings are resolved. A fixed-address
/// (ET_EXEC) file always has bias 0. nullopt if no segment contains `pgoff`.
std::optional<uint64_t> load_bias(const std::vector<LoadSegment>& segments,
                                  bool fixed_address, uint64_t start,
                                  uint64_t pgoff, uint64_t page_size);

/// What the bias of any mapping of one ELF file depends on.
struct ElfLoadInfo {
    std::vector<LoadSegment> segments;  ///< its PT_LOAD headers
    bool fixed_address = false;         ///< ET_EXEC
    /// load_bias() with the system page size.
    std::optional<uint64_t> bias(uint64_t start, uint64_t pgoff) const;
};

/// The program headers of the ELF file open as `fd`. nullopt if it is not an
/// x86_64 ELF executable or shared object.
std::optional<ElfLoadInfo> read_elf_load_info(int fd);

/// read_elf_load_info(fd)->bias(start, pgoff); nullopt if either fails.
std::optional<uint64_t> elf_file_load_bias(int fd, uint64_t start, uint64_t pgoff);

}  // namespace threadleak
