// Makes any byte string safe as XML 1.0 character data and attribute values
// (the junit format; SVG and HTML reuse it): the document stays well-formed,
// whatever the target named its threads, symbols or files.
#pragma once

#include <string>
#include <string_view>

namespace threadleak {

/// Safe between tags and inside an attribute quoted with `"` or `'`; no
/// CDATA is ever needed (`]]>` comes out as `]]&gt;`).
/// - `<` `>` `&` `"` `'` become `&lt;` `&gt;` `&amp;` `&quot;` `&apos;`;
/// - tab, newline and carriage return become `&#9;` `&#10;` `&#13;`, so an
///   attribute keeps them through the parser's whitespace normalization;
/// - characters XML 1.0 forbids or discourages (other C0 controls, DEL, C1
///   controls, the noncharacters U+FDD0..U+FDEF and U+xFFFE/U+xFFFF) become
///   the text `\xNN`, `\uNNNN` or `\UNNNNNNNN`, and every byte of invalid
///   UTF-8 `\xNN`.
/// Everything else passes unchanged, `\` included: this only keeps the
/// markup intact. A string from the target shown to people goes through
/// escape_text (text_escape.h) first, which also defuses bidi controls and
/// makes its own escapes unambiguous (a `\` it did not write is doubled).
std::string escape_xml(std::string_view s);

}  // namespace threadleak
