// Makes strings from the target (thread names, symbols, paths, argv) safe to
// print on a terminal: nothing in them can move the cursor, reorder the line
// (bidi overrides), forge a report line or hide bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace threadleak {

/// Valid UTF-8 of printable characters passes unchanged. Escaped: `\` as
/// `\\`; C0 controls and DEL as `\xNN`; C1 controls, bidi controls, line and
/// paragraph separators, zero-width and BOM characters as `\uNNNN`; every byte
/// of invalid UTF-8 (bad lead byte, truncated or overlong sequence, surrogate,
/// above U+10FFFF) as `\xNN`.
std::string escape_text(std::string_view s);

/// escape_text for a string shown between double quotes: `"` becomes `\"` too.
std::string escape_quoted(std::string_view s);

/// The code point of the UTF-8 sequence at s[i] and its length in bytes;
/// nullopt when the bytes there are not well-formed UTF-8 (RFC 3629: no
/// overlong forms, surrogates or values above U+10FFFF). Requires i < s.size().
std::optional<std::pair<uint32_t, size_t>> decode_utf8(std::string_view s, size_t i);

/// True for valid code points that change how a line is shown without being
/// seen: C1 controls, bidi controls, line and paragraph separators, zero-width
/// characters and the BOM (the `\uNNNN` escapes of escape_text).
bool is_invisible_or_reordering(uint32_t cp);

/// `s` unchanged when it is valid UTF-8; else each byte of invalid UTF-8 (as
/// escape_text tells them) replaced by U+FFFD. For formats whose strings are
/// data, not text on a terminal, yet must be UTF-8 (protobuf `string`).
std::string valid_utf8(std::string_view s);

}  // namespace threadleak
