// Durations as the command line spells them: "500ms", "30s", "5m", "1h",
// "1.5s", "250us", "10ns", or a bare number of seconds ("3").
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace threadleak {

/// Why a text is not a duration.
enum class DurationError {
    kMalformed,  ///< empty, no digits, an unknown unit or stray characters
    kNegative,   ///< a number with a leading '-'
    kTooLarge,   ///< more than fits in int64 nanoseconds (about 292 years)
};

/// Units: ns, us, ms, s (or none), m (or min), h. Exact to the nanosecond:
/// digits finer than that are dropped, never rounded up. nullopt on error,
/// with the reason in `*why` when `why` is given. Never throws.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text,
                                                       DurationError* why = nullptr);

/// The spelling in the largest unit that holds `d` exactly ("20ms", "10000h",
/// "90s", "0s"); parse_duration reads it back to the same value.
std::string duration_text(std::chrono::nanoseconds d);

}  // namespace threadleak
