// Small phrases every human-readable format words the same way.
#pragma once

#include <cstdint>
#include <string>

#include "report/report.h"

namespace threadleak {

/// "1 thread", "3 threads".
std::string plural(uint64_t n, const char* one, const char* many);

/// "2.50s", "12.00ms", "3.10us", "800ns".
std::string short_duration(uint64_t ns);

/// A span people read at a glance, in whole seconds: "12s", "1m12s",
/// "26h3m0s" (hours are not split into days); under a second, short_duration.
std::string whole_duration(uint64_t ns);

/// "3 threads", "1 timer site", "2 threads and 1 timer site": what one
/// suppression rule silenced.
std::string suppressed_what(const SuppressedCount& s);

/// "49,305": a count with its thousands grouped.
std::string grouped(uint64_t n);

/// A rate with its sign, one decimal: "+34.2", "-2.4", "+0.0" (never "-0.0"); "?" if not finite.
std::string signed_rate(double rate);

/// An estimated count, rounded, at least 0, grouped: "49,305"; "?" if not finite.
std::string rounded_count(double count);

/// "2026-12-03 17:59:01": a wall-clock time (ns since the epoch) in the
/// local time zone (TZ), to the second.
std::string local_time(int64_t unix_ns);

}  // namespace threadleak
