// The shared tables of a pprof profile (formats/pprof/profile.proto): its
// strings, functions, mappings and locations, each entry added once and
// referred to by its index or id. The pprof format fills samples with them.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "formats/pprof/profile.pb.h"
#include "stacks/stack_types.h"

namespace threadleak {

class PprofTables {
public:
    /// Adds to `profile`, which must outlive this; its string table gets "" at 0.
    explicit PprofTables(perftools::profiles::Profile& profile);

    /// The string table index of `s`, added if new. Strings are data: kept
    /// byte for byte, except that invalid UTF-8 becomes U+FFFD (valid_utf8),
    /// as proto3 readers (protobuf-go in Parca and Pyroscope) reject it.
    int64_t string(std::string_view s);

    /// The id of the location of `run`: frames of one address, innermost
    /// inline level first (as stacks/ expands them), one Line each, in the
    /// mapping of their module. A frame without a symbol is a location with
    /// its address and no Line, which pprof shows as an address.
    uint64_t location(std::span<const Frame> run);

    /// A location with one Line naming `name` and no mapping or address, for
    /// what is not code: "[thread start]", "[syscall futex]".
    uint64_t pseudo_location(std::string_view name);

    /// The id of the mapping of `frame`'s module (0 for "[unknown]"), added if
    /// new: one per file, build-id and load bias. Called first for the main
    /// executable's frames, so that mapping[0] is the main binary.
    uint64_t mapping(const Frame& frame);

private:
    uint64_t function(std::string_view name, std::string_view file);

    perftools::profiles::Profile& profile_;
    std::unordered_map<std::string, int64_t> strings_;
    std::map<std::pair<int64_t, int64_t>, uint64_t> functions_;  ///< (name, file) -> id
    std::map<std::tuple<std::string, std::string, uint64_t>, uint64_t> mappings_;  ///< (file, build-id, bias)
    using LineKey = std::vector<std::pair<uint64_t, int64_t>>;  ///< (function id, line) per Line
    std::map<std::tuple<uint64_t, uint64_t, LineKey>, uint64_t> locations_;  ///< (mapping, address, lines)
};

}  // namespace threadleak
