#include "formats/wording.h"

#include <cinttypes>
#include <cstdio>

namespace threadleak {

std::string plural(uint64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
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

}  // namespace threadleak
