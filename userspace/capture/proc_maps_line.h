// Parsing of one /proc/PID/maps line into a Mapping. Kept apart from
// ProcessImage so the format rules can be tested without a live process.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "capture/capture_types.h"

namespace threadleak {

struct MapsEntry {
    Mapping mapping;
    bool executable = false;  ///< 'x' in the permissions column
};

/// The kernel's internal dev_t (MAJOR << 20 | MINOR), the encoding BPF sees in
/// `inode->i_sb->s_dev`; /proc and stat(2) use a different one.
constexpr uint32_t kernel_dev(uint32_t major, uint32_t minor) {
    return (major << 20) | (minor & 0xfffffu);
}

/// Parses "start-end perms offset major:minor inode [path]" (numbers in hex
/// except inode). The path keeps embedded spaces and a " (deleted)" suffix.
/// nullopt for a malformed line.
std::optional<MapsEntry> parse_maps_line(std::string_view line);

/// True for mappings backed by a file we could open: not "", not "[vdso]",
/// "[stack]", "[heap]" or other bracketed pseudo-paths, not anon_inode:/memfd
/// style names that do not start with '/'.
bool is_file_backed_path(std::string_view path);

}  // namespace threadleak
