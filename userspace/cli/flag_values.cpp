#include "cli/flag_values.h"

#include <bit>
#include <charconv>
#include <cstdio>

#include "common/duration.h"

namespace threadleak {
namespace {

constexpr const char* kDurationExamples = "like 500ms, 30s, 5m or 1h";

}  // namespace

std::string shown(const std::string& value) {
    constexpr size_t kShown = 20;
    std::string out = "'";
    for (size_t i = 0; i < value.size() && i < kShown; ++i) {
        const auto c = static_cast<unsigned char>(value[i]);
        if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    if (value.size() > kShown) out += "...";
    return out + "'";
}

namespace {

/// CLI11 takes the "--" of `--flag -- CMD` as the flag's value.
bool missing(const std::string& value) { return value.empty() || value == "--"; }

bool negative_number(const std::string& value) {
    return value.size() > 1 && value[0] == '-' && value[1] >= '0' && value[1] <= '9';
}

enum class Parsed { kOk, kMalformed, kTooLarge };

/// Decimal digits only; more than uint64 holds is kTooLarge, not wrapped.
Parsed parse_digits(std::string_view text, uint64_t* out) {
    if (text.empty() || text[0] < '0' || text[0] > '9') return Parsed::kMalformed;
    // from_chars consumes every digit even when the number overflows.
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    if (end != text.data() + text.size()) return Parsed::kMalformed;
    return ec == std::errc::result_out_of_range ? Parsed::kTooLarge : Parsed::kOk;
}

}  // namespace

std::string bytes_text(uint64_t bytes) {
    static constexpr struct {
        const char* suffix;
        uint64_t scale;
    } kSuffixes[] = {{"G", 1ull << 30}, {"M", 1ull << 20}, {"K", 1ull << 10}};
    for (const auto& s : kSuffixes)
        if (bytes >= s.scale && bytes % s.scale == 0) return std::to_string(bytes / s.scale) + s.suffix;
    return std::to_string(bytes);
}

std::string or_list(const std::vector<std::string>& words) {
    std::string out;
    for (size_t i = 0; i < words.size(); ++i) {
        if (i > 0) out += i + 1 == words.size() ? " or " : ", ";
        out += words[i];
    }
    return out;
}

CLI::Validator whole_number(uint64_t min, uint64_t max) {
    const std::string range = "from " + std::to_string(min) + " to " + std::to_string(max);
    return CLI::Validator(
        [=](std::string& value) -> std::string {
            if (missing(value)) return "needs a value; use a whole number " + range;
            if (negative_number(value)) return shown(value) + " is negative; use a whole number " + range;
            uint64_t n = 0;
            const Parsed p = parse_digits(value, &n);
            if (p == Parsed::kMalformed) return shown(value) + " is not a whole number; use one " + range;
            if (p == Parsed::kTooLarge || n > max)
                return shown(value) + " is too large; the maximum is " + std::to_string(max);
            if (n < min) return shown(value) + " is too small; the minimum is " + std::to_string(min);
            return "";
        },
        "");
}

CLI::Validator byte_size(uint64_t min, uint64_t max, bool power_of_two) {
    const std::string range = "from " + bytes_text(min) + " to " + bytes_text(max);
    const std::string examples = "like 16384 or 16K, " + range;
    return CLI::Validator(
        [=](std::string& value) -> std::string {
            if (missing(value)) return "needs a value; use a byte count " + examples;
            if (negative_number(value)) return shown(value) + " is negative; use a byte count " + examples;
            std::string_view digits = value;
            uint64_t scale = 1;
            switch (digits.empty() ? '\0' : digits.back()) {
                case 'K': scale = 1ull << 10; break;
                case 'M': scale = 1ull << 20; break;
                case 'G': scale = 1ull << 30; break;
            }
            if (scale != 1) digits.remove_suffix(1);
            uint64_t n = 0;
            const Parsed p = parse_digits(digits, &n);
            if (p == Parsed::kMalformed) return shown(value) + " is not a byte count; use one " + examples;
            if (p == Parsed::kTooLarge || n > max / scale)
                return shown(value) + " is too large; the maximum is " + bytes_text(max);
            n *= scale;
            if (n < min) return shown(value) + " is too small; the minimum is " + bytes_text(min);
            if (power_of_two && (n & (n - 1)) != 0)
                return shown(value) + " is not a power of two; use one " + range + ", like " +
                       bytes_text(std::bit_floor(n));
            value = std::to_string(n);
            return "";
        },
        "");
}

CLI::Validator duration_ns(std::chrono::nanoseconds min, std::chrono::nanoseconds max) {
    return CLI::Validator(
        [=](std::string& value) -> std::string {
            if (missing(value)) return std::string("needs a value; use a duration ") + kDurationExamples;
            DurationError why{};
            const auto d = parse_duration(value, &why);
            if (!d && why == DurationError::kNegative)
                return shown(value) + " is negative; use a duration " + kDurationExamples;
            if (!d && why == DurationError::kMalformed)
                return shown(value) + " is not a duration; use one " + kDurationExamples;
            if (!d || *d > max) return shown(value) + " is too large; the maximum is " + duration_text(max);
            if (*d < min)
                return shown(value) + " is below the resolution; the minimum is " + duration_text(min);
            value = std::to_string(d->count());
            return "";
        },
        "");
}

CLI::Validator one_of(const std::vector<std::string>& names) {
    const CLI::Validator member = CLI::IsMember(names);  // a Validator: IsMember has no copy constructor of its own
    const std::string choices = or_list(names);
    return CLI::Validator(
        [member, choices](std::string& value) -> std::string {
            if (missing(value)) return "needs a value; use " + choices;
            std::string error;
            try {
                error = member(value);
            } catch (const CLI::ValidationError&) {
                error = "not a member";
            }
            if (error.empty()) return "";
            return shown(value) + " is unknown; use " + choices;
        },
        "");
}

CLI::Validator file_name(const std::string& absent) {
    return CLI::Validator(
        [absent](std::string& value) -> std::string {
            if (missing(value)) return "needs a file name; omit it to " + absent;
            return "";
        },
        "");
}

}  // namespace threadleak
