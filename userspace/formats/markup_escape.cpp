#include "formats/markup_escape.h"

#include "formats/text_escape.h"

namespace threadleak {

namespace {

/// `text` is escape_text's output: valid UTF-8 without C0/C1 controls, so
/// only the noncharacters U+FFFE/U+FFFF (EF BF BE / EF BF BF) are not XML
/// Chars.
std::string entities(const std::string& text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        switch (c) {
        case '&': out += "&amp;"; continue;
        case '<': out += "&lt;"; continue;
        case '>': out += "&gt;"; continue;
        case '"': out += "&quot;"; continue;
        case '\'': out += "&#39;"; continue;
        default: break;
        }
        if (c == '\xef' && i + 2 < text.size() && text[i + 1] == '\xbf' &&
            (text[i + 2] == '\xbe' || text[i + 2] == '\xbf')) {
            out += text[i + 2] == '\xbe' ? "\\ufffe" : "\\uffff";
            i += 2;
            continue;
        }
        out += c;
    }
    return out;
}

}  // namespace

std::string escape_markup(std::string_view s) { return entities(escape_text(s)); }

std::string escape_markup_cut(std::string_view s, size_t max_chars) {
    if (max_chars < 3) return "";
    const std::string text = escape_text(s);
    size_t chars = 0, cut = std::string::npos;
    for (size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xc0) == 0x80) continue;  // a continuation byte
        if (chars == max_chars - 2) cut = i;
        if (++chars > max_chars) return entities(text.substr(0, cut)) + "..";
    }
    return entities(text);
}

}  // namespace threadleak
