#include "capture/proc_maps_line.h"

#include <charconv>

namespace threadleak {
namespace {

// Consumes one number in `base` from the front of `s`, then one `sep` if given.
bool take_number(std::string_view& s, int base, uint64_t& out, char sep = '\0') {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
    if (ec != std::errc() || end == s.data()) return false;
    s.remove_prefix(static_cast<size_t>(end - s.data()));
    if (sep == '\0') return true;
    if (s.empty() || s.front() != sep) return false;
    s.remove_prefix(1);
    return true;
}

void skip_spaces(std::string_view& s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
}

}  // namespace

std::optional<MapsEntry> parse_maps_line(std::string_view s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);

    MapsEntry e;
    Mapping& m = e.mapping;
    if (!take_number(s, 16, m.start, '-') || !take_number(s, 16, m.end, ' ')) return std::nullopt;

    size_t perms_end = s.find(' ');
    if (perms_end == std::string_view::npos || perms_end < 3) return std::nullopt;
    e.executable = s[2] == 'x';
    s.remove_prefix(perms_end + 1);

    uint64_t major = 0, minor = 0;
    if (!take_number(s, 16, m.pgoff, ' ') || !take_number(s, 16, major, ':') ||
        !take_number(s, 16, minor, ' ') || !take_number(s, 10, m.ino)) {
        return std::nullopt;
    }
    m.dev = kernel_dev(static_cast<uint32_t>(major), static_cast<uint32_t>(minor));

    skip_spaces(s);
    m.path = std::string(s);
    return e;
}

bool is_file_backed_path(std::string_view path) {
    return !path.empty() && path.front() == '/';
}

}  // namespace threadleak
