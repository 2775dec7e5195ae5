#include "formats/wording.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <vector>

namespace threadleak {

std::string plural(uint64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string suppressed_what(const SuppressedCount& s) {
    std::vector<std::string> parts;
    if (s.count || (!s.timers && !s.goroutines)) parts.push_back(plural(s.count, "thread", "threads"));
    if (s.goroutines) parts.push_back(plural(s.goroutines, "goroutine", "goroutines"));
    if (s.timers) parts.push_back(plural(s.timers, "timer site", "timer sites"));
    std::string out;
    for (size_t i = 0; i < parts.size(); i++) out += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
    return out;
}

std::string short_duration(uint64_t ns) {
    char buf[48];
    if (ns >= 1'000'000'000)
        std::snprintf(buf, sizeof buf, "%.2fs", static_cast<double>(ns) / 1e9);
    else if (ns >= 1'000'000)
        std::snprintf(buf, sizeof buf, "%.2fms", static_cast<double>(ns) / 1e6);
    else if (ns >= 1'000)
        std::snprintf(buf, sizeof buf, "%.2fus", static_cast<double>(ns) / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%" PRIu64 "ns", ns);
    return buf;
}

std::string whole_duration(uint64_t ns) {
    if (ns < 1'000'000'000) return short_duration(ns);
    const uint64_t s = ns / 1'000'000'000;
    char buf[64];
    if (s < 60)
        std::snprintf(buf, sizeof buf, "%" PRIu64 "s", s);
    else if (s < 3600)
        std::snprintf(buf, sizeof buf, "%" PRIu64 "m%" PRIu64 "s", s / 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%" PRIu64 "h%" PRIu64 "m%" PRIu64 "s", s / 3600, s / 60 % 60, s % 60);
    return buf;
}

std::string grouped(uint64_t n) {
    const std::string digits = std::to_string(n);
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string signed_rate(double rate) {
    if (!std::isfinite(rate)) return "?";
    if (std::fabs(rate) < 0.05) rate = 0;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%+.1f", rate);
    return buf;
}

std::string rounded_count(double count) {
    if (!std::isfinite(count)) return "?";
    return grouped(static_cast<uint64_t>(std::llround(std::clamp(count, 0.0, 9e18))));
}

std::string local_time(int64_t unix_ns) {
    // Floor division: a time before the epoch still names its own second.
    const int64_t seconds = unix_ns / 1'000'000'000 - (unix_ns % 1'000'000'000 < 0 ? 1 : 0);
    const time_t t = static_cast<time_t>(seconds);
    struct tm tm {};
    char buf[64];
    if (!localtime_r(&t, &tm) || std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        return std::to_string(seconds) + " s after the epoch";
    return buf;
}

}  // namespace threadleak
