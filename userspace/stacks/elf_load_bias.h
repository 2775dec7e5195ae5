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

/// Reads the program headers of the ELF file open as `fd` and applies
/// load_bias() with the system page size. nullopt if `fd` is not an x86_64
/// ELF executable or shared object, or no PT_LOAD contains `pgoff`.
std::optional<uint64_t> elf_file_load_bias(int fd, uint64_t start, uint64_t pgoff);

}  // namespace threadleak
