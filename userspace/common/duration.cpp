#include "common/duration.h"

#include <cstdint>
#include <limits>

namespace threadleak {
namespace {

using Wide = unsigned __int128;  // holds any (digits x unit) product below without overflow

struct Unit {
    std::string_view name;
    int64_t ns;
};
// Largest first: duration_text() takes the first one that divides exactly.
constexpr Unit kUnits[] = {
    {"h", 3'600'000'000'000}, {"m", 60'000'000'000}, {"min", 60'000'000'000},
    {"s", 1'000'000'000},     {"ms", 1'000'000},     {"us", 1'000},
    {"ns", 1},
};

constexpr Wide kMaxNs = std::numeric_limits<int64_t>::max();

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text, DurationError* why) {
    auto fail = [why](DurationError e) -> std::optional<std::chrono::nanoseconds> {
        if (why) *why = e;
        return std::nullopt;
    };
    if (text.size() > 1 && text[0] == '-' && (is_digit(text[1]) || text[1] == '.'))
        return fail(DurationError::kNegative);

    // Whole part saturates just above kMaxNs: 400 digits must not wrap around.
    size_t i = 0;
    Wide whole = 0;
    bool any_digit = false;
    for (; i < text.size() && is_digit(text[i]); ++i) {
        any_digit = true;
        whole = whole * 10 + static_cast<unsigned>(text[i] - '0');
        if (whole > kMaxNs) whole = kMaxNs + 1;
    }
    // Up to 18 fraction digits count (0.000000000000000001h is below 1ns).
    uint64_t fraction = 0, fraction_scale = 1;
    if (i < text.size() && text[i] == '.') {
        for (++i; i < text.size() && is_digit(text[i]); ++i) {
            any_digit = true;
            if (fraction_scale < 1'000'000'000'000'000'000ull) {
                fraction = fraction * 10 + static_cast<unsigned>(text[i] - '0');
                fraction_scale *= 10;
            }
        }
    }
    if (!any_digit) return fail(DurationError::kMalformed);

    const std::string_view unit = text.substr(i);
    int64_t scale = unit.empty() ? 1'000'000'000 : 0;
    for (const Unit& u : kUnits)
        if (unit == u.name) scale = u.ns;
    if (scale == 0) return fail(DurationError::kMalformed);

    const Wide ns = whole * static_cast<Wide>(scale) + Wide{fraction} * scale / fraction_scale;
    if (ns > kMaxNs) return fail(DurationError::kTooLarge);
    return std::chrono::nanoseconds(static_cast<int64_t>(ns));
}

std::string duration_text(std::chrono::nanoseconds d) {
    const int64_t ns = d.count();
    if (ns == 0) return "0s";
    for (const Unit& u : kUnits)
        if (ns % u.ns == 0) return std::to_string(ns / u.ns) + std::string(u.name);
    return std::to_string(ns) + "ns";  // unreachable: 1ns divides everything
}

}  // namespace threadleak
