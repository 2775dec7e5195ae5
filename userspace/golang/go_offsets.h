// Where threadleak reads a goroutine: byte offsets inside runtime.g, from the
// binary's DWARF when it has some, else from a table of released versions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace threadleak {

/// Byte offsets inside runtime.g (and of its sched gobuf fields, relative to g).
struct GoOffsets {
    uint64_t goid = 0, atomicstatus = 0, waitsince = 0, waitreason = 0, gopc = 0, startpc = 0;
    uint64_t sched_sp = 0, sched_pc = 0, sched_bp = 0;  // g + offsetof(g.sched) + offsetof(gobuf.X)
    uint64_t parent_goid = 0;  // 0 when the version has none (before 1.21)
    uint64_t g_size = 0;       // sizeof(runtime.g), to read one g in one go
    bool operator==(const GoOffsets&) const = default;
};

/// {1, 19} from "go1.19.8" (also "go1.21rc2", "go1.20"); nullopt for "devel ..." and junk.
std::optional<std::pair<int, int>> go_major_minor(std::string_view version);

/// From DWARF runtime.g / runtime.gobuf members; nullopt without DWARF or without
/// one of the members (then *why_not says which).
std::optional<GoOffsets> go_offsets_from_dwarf(const std::string& path, std::string* why_not);

/// The row for the version's major.minor (go1.17 .. go1.23); *row = "go1.19".
std::optional<GoOffsets> go_offsets_from_table(std::string_view version, std::string* row);

}  // namespace threadleak
