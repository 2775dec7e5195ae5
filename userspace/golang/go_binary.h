// What threadleak needs to know about one Go executable *file* (no process):
// its version, the link-time addresses of the runtime globals it reads, the
// runtime.g layout and where to put the exit uprobe. Go 1.17+, amd64, stripped
// (-ldflags=-s -w) or not, PIE or not. A live process's memory is read elsewhere,
// with these results plus the load bias.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "golang/go_offsets.h"
#include "golang/go_pclntab.h"

namespace threadleak {

struct GoBinary {
    std::string path;
    std::string version;  ///< "go1.19.8", from .go.buildinfo (stripped binaries too)
    bool pie = false;     ///< ET_DYN: addresses below are link-time, add the load bias
    bool has_dwarf = false;
    bool stripped = false;  ///< no .symtab
    GoOffsets offsets;
    std::string offsets_from;  ///< "dwarf" or "table go1.19" (which fallback row)
    uint64_t allgs = 0;        ///< link-time vaddr of the runtime.allgs slice header (ptr, len, cap)
    uint64_t wait_reason_strings = 0;  ///< vaddr of runtime.waitReasonStrings ([N]string: ptr,len pairs)
    size_t wait_reason_count = 0;      ///< N
    uint64_t runtime_exit_file_offset = 0;  ///< file offset of runtime.exit's first instruction (for a uprobe)
    uint64_t runtime_exit_vaddr = 0;
    /// How each address was found: "symtab"; "code" (decoded from the function that
    /// uses it: allgs, waitReasonStrings) or "pclntab" (runtime.exit's entry).
    std::string allgs_from, wait_reasons_from, exit_from;
};

/// Reads `path`. nullopt (with *why_not set to a one-line reason) when it is not a Go
/// binary, not amd64, a version we have no offsets for and no DWARF, or a needed
/// address could not be found.
std::optional<GoBinary> read_go_binary(const std::string& path, std::string* why_not);

/// Cheap check (opens the ELF, looks for .go.buildinfo / .gopclntab): is this a Go program?
bool is_go_binary(const std::string& path);

}  // namespace threadleak
