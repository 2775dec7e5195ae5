#include "formats/xml_escape.h"

#include <cstdint>
#include <cstdio>

#include "formats/text_escape.h"

namespace threadleak {
namespace {

/// XML 1.0 §2.2: Char excludes the C0 controls but tab, LF and CR, and
/// U+FFFE/U+FFFF; it discourages DEL, the C1 controls and the noncharacters.
/// Surrogates and values above U+10FFFF never decode (decode_utf8).
bool is_unfit_for_xml(uint32_t cp) {
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0xfdd0 && cp <= 0xfdef) ||
           (cp & 0xfffe) == 0xfffe;
}

void append_escape(std::string& out, const char* fmt, unsigned value) {
    char buf[12];
    std::snprintf(buf, sizeof buf, fmt, value);
    out += buf;
}

}  // namespace

std::string escape_xml(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        const auto decoded = decode_utf8(s, i);
        if (!decoded) {
            append_escape(out, "\\x%02x", static_cast<unsigned char>(s[i]));
            ++i;
            continue;
        }
        const auto [cp, len] = *decoded;
        switch (cp) {
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '&': out += "&amp;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        case '\t': out += "&#9;"; break;
        case '\n': out += "&#10;"; break;
        case '\r': out += "&#13;"; break;
        default:
            if (!is_unfit_for_xml(cp)) out.append(s.substr(i, len));
            else if (cp < 0x80) append_escape(out, "\\x%02x", cp);
            else if (cp <= 0xffff) append_escape(out, "\\u%04x", cp);
            else append_escape(out, "\\U%08x", cp);
        }
        i += len;
    }
    return out;
}

}  // namespace threadleak
