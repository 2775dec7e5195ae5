// Makes strings from the target safe inside SVG (XML) and HTML: in text
// content, in double- or single-quoted attribute values, and in a CDATA-free
// document. The result is always well-formed UTF-8 of XML 1.0 characters.
#pragma once

#include <string>
#include <string_view>

namespace threadleak {

/// escape_text (formats/text_escape.h) first, so what a terminal would not
/// show plainly is shown as the text report shows it (`\xff`, `\u202e`,
/// `\x0a`); then the two noncharacters XML forbids (U+FFFE, U+FFFF) as
/// `\ufffe` / `\uffff`, and `&`, `<`, `>`, `"`, `'` as character entities.
/// Nothing in the result can end an element, an attribute, a comment or a
/// CDATA section, or start markup.
std::string escape_markup(std::string_view s);

/// escape_markup of `s` cut to at most `max_chars` characters (code points
/// of the escape_text form, as a label shows them), ending in ".." when cut;
/// "" when `max_chars` < 3. Cut before the entities are made: none is split.
std::string escape_markup_cut(std::string_view s, size_t max_chars);

}  // namespace threadleak
