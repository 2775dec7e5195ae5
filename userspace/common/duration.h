// Parses durations given on the command line: "500ms", "3s", "2m", "1h",
// "1.5s", or a bare number of seconds.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace threadleak {

/// nullopt for anything else (negative, empty, unknown unit, overflow).
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);

}  // namespace threadleak
