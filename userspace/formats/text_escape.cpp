#include "formats/text_escape.h"

#include <cstdint>
#include <cstdio>
#include <optional>

namespace threadleak {

bool is_invisible_or_reordering(uint32_t cp) {
    return (cp >= 0x80 && cp <= 0x9f) ||      // C1 controls
           cp == 0x061c ||                    // Arabic letter mark
           (cp >= 0x200b && cp <= 0x200f) ||  // zero-width space/joiners, LRM, RLM
           (cp >= 0x2028 && cp <= 0x202e) ||  // line/paragraph separators, LRE..RLO
           (cp >= 0x2060 && cp <= 0x2069) ||  // word joiner .. PDI (isolates)
           cp == 0xfeff;                      // BOM / zero-width no-break space
}

// Declared in text_escape.h: the XML escaping (xml_escape.cpp) reads UTF-8 alike.
std::optional<std::pair<uint32_t, size_t>> decode_utf8(std::string_view s, size_t i) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char lead = b(i);
    size_t len;
    uint32_t cp, min;
    if (lead < 0x80) return std::make_pair(uint32_t{lead}, size_t{1});
    if ((lead & 0xe0) == 0xc0) { len = 2; cp = lead & 0x1f; min = 0x80; }
    else if ((lead & 0xf0) == 0xe0) { len = 3; cp = lead & 0x0f; min = 0x800; }
    else if ((lead & 0xf8) == 0xf0) { len = 4; cp = lead & 0x07; min = 0x10000; }
    else return std::nullopt;
    if (i + len > s.size()) return std::nullopt;
    for (size_t k = 1; k < len; ++k) {
        if ((b(i + k) & 0xc0) != 0x80) return std::nullopt;
        cp = (cp << 6) | (b(i + k) & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
    return std::make_pair(cp, len);
}

namespace {

void append_escape(std::string& out, const char* fmt, unsigned value) {
    char buf[12];
    std::snprintf(buf, sizeof buf, fmt, value);
    out += buf;
}

std::string escape(std::string_view s, bool quoted) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        auto decoded = decode_utf8(s, i);
        if (!decoded) {
            append_escape(out, "\\x%02x", static_cast<unsigned char>(s[i]));
            ++i;
            continue;
        }
        const auto [cp, len] = *decoded;
        if (cp == '\\') out += "\\\\";
        else if (cp == '"' && quoted) out += "\\\"";
        else if (cp < 0x20 || cp == 0x7f) append_escape(out, "\\x%02x", cp);
        else if (is_invisible_or_reordering(cp)) append_escape(out, "\\u%04x", cp);
        else out.append(s.substr(i, len));
        i += len;
    }
    return out;
}

}  // namespace

std::string escape_text(std::string_view s) { return escape(s, false); }
std::string escape_quoted(std::string_view s) { return escape(s, true); }

std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        if (auto decoded = decode_utf8(s, i)) {
            out.append(s.substr(i, decoded->second));
            i += decoded->second;
        } else {
            out += "\xef\xbf\xbd";  // U+FFFD REPLACEMENT CHARACTER
            ++i;
        }
    }
    return out;
}

}  // namespace threadleak
