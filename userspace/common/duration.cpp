#include "common/duration.h"

#include <cmath>
#include <string>

namespace threadleak {

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    size_t unit_at = 0;
    while (unit_at < text.size() && (isdigit(static_cast<unsigned char>(text[unit_at])) || text[unit_at] == '.'))
        unit_at++;
    std::string number(text.substr(0, unit_at));
    std::string_view unit = text.substr(unit_at);
    if (number.empty() || number == "." || number.find('.') != number.rfind('.')) return std::nullopt;
    double value = std::stod(number);
    double scale;
    if (unit.empty() || unit == "s") scale = 1e9;
    else if (unit == "ms") scale = 1e6;
    else if (unit == "us") scale = 1e3;
    else if (unit == "m" || unit == "min") scale = 60e9;
    else if (unit == "h") scale = 3600e9;
    else return std::nullopt;
    double ns = value * scale;
    if (!std::isfinite(ns) || ns > 1e18) return std::nullopt;
    return std::chrono::nanoseconds(static_cast<int64_t>(ns));
}

}  // namespace threadleak
