// CLI11 validators for threadleak's flag values. Each one's error text is the
// rest of a sentence that starts with the flag's name ("'300' is too large;
// the maximum is 255"): options.cpp puts the name in front. Every message
// names the accepted range or form, so it is its own fix.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace threadleak {

/// A decimal whole number in [min, max]; no sign, no suffix.
CLI::Validator whole_number(uint64_t min, uint64_t max);

/// A byte count in [min, max], with an optional K, M or G (x1024) suffix,
/// rewritten to plain decimal bytes for the option to store.
CLI::Validator byte_size(uint64_t min, uint64_t max, bool power_of_two);

/// A duration (common/duration.h) in [min, max], rewritten to decimal
/// nanoseconds for the option to store. `min` is the flag's resolution.
CLI::Validator duration_ns(std::chrono::nanoseconds min, std::chrono::nanoseconds max);

/// One of `names` (CLI::IsMember), naming them all when the value is not.
CLI::Validator one_of(const std::vector<std::string>& names);

/// A non-empty file name; `absent` says what happens without the flag.
CLI::Validator file_name(const std::string& absent);

/// `value` as a message quotes it ("'5s'"): on one line (control characters
/// as \xNN), and short even when a 400-digit number was given.
std::string shown(const std::string& value);

/// "512", "16K", "32M", "1G": the largest suffix byte_size() reads back exactly.
std::string bytes_text(uint64_t bytes);

/// "text", "text or json", "a, b or c".
std::string or_list(const std::vector<std::string>& words);

}  // namespace threadleak
