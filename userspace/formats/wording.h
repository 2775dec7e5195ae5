// Small phrases every human-readable format words the same way.
#pragma once

#include <cstdint>
#include <string>

namespace threadleak {

/// "1 thread", "3 threads".
std::string plural(uint64_t n, const char* one, const char* many);

/// "2.50s", "12.00ms", "3.10us", "800ns".
std::string short_duration(uint64_t ns);

}  // namespace threadleak
