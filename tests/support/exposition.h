// A strict reader of the Prometheus text exposition format (version 0.0.4),
// for tests of what threadleak serves: every line must be a HELP, a TYPE or a
// sample; label values may hold only the escapes \\ \" \n and must be UTF-8
// once unescaped, as a Prometheus server requires.
#pragma once

#include <cctype>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace threadleak_test {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;  // unescaped
  double value = 0;
};

struct Exposition {
  std::vector<Sample> samples;
  std::map<std::string, std::string> types;  // family name -> "gauge", "counter", ...
  std::string error;                         // the first line that is not the format, and why

  /// The samples of family `name` whose labels include every one of `match`.
  std::vector<Sample> Find(const std::string &name, const std::map<std::string, std::string> &match = {}) const {
    std::vector<Sample> out;
    for (const auto &s : samples) {
      if (s.name != name) continue;
      bool all = true;
      for (const auto &[k, v] : match) {
        auto it = s.labels.find(k);
        all = all && it != s.labels.end() && it->second == v;
      }
      if (all) out.push_back(s);
    }
    return out;
  }
};

/// True when `s` is well-formed UTF-8 (RFC 3629).
inline bool IsUtf8(const std::string &s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3f);
    }
    static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

inline bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
inline bool IsNameChar(char c) { return IsNameStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

inline Exposition ParseExposition(const std::string &text) {
  Exposition out;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  auto fail = [&](const std::string &why) {
    if (out.error.empty()) out.error = "line " + std::to_string(number) + ": " + why + ": " + line;
  };
  while (std::getline(lines, line)) {
    ++number;
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name, rest;
      words >> name;
      std::getline(words >> std::ws, rest);
      if (name.empty() || !IsNameStart(name[0])) fail("bad family name");
      if (line[2] == 'T') {
        if (rest != "gauge" && rest != "counter" && rest != "histogram" && rest != "summary" && rest != "untyped")
          fail("bad type");
        out.types[name] = rest;
      }
      if (!IsUtf8(rest)) fail("HELP is not UTF-8");
      continue;
    }
    if (line[0] == '#') continue;  // a comment
    Sample s;
    size_t i = 0;
    if (!IsNameStart(line[0])) { fail("bad metric name"); continue; }
    while (i < line.size() && IsNameChar(line[i])) s.name += line[i++];
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::string key, value;
        if (!IsNameStart(line[i]) || line[i] == ':') { fail("bad label name"); break; }
        while (i < line.size() && IsNameChar(line[i]) && line[i] != ':') key += line[i++];
        if (line.compare(i, 2, "=\"") != 0) { fail("label without =\""); break; }
        i += 2;
        bool closed = false;
        while (i < line.size()) {
          const char c = line[i++];
          if (c == '"') { closed = true; break; }
          if (c != '\\') { value += c; continue; }
          if (i >= line.size()) break;
          const char e = line[i++];
          if (e == '\\') value += '\\';
          else if (e == '"') value += '"';
          else if (e == 'n') value += '\n';
          else { fail(std::string("bad escape \\") + e); break; }
        }
        if (!closed) { fail("unterminated label value"); break; }
        if (!IsUtf8(value)) fail("label value is not UTF-8");
        if (s.labels.count(key)) fail("label given twice");
        s.labels[key] = value;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size() || line[i] != '}') { fail("labels not closed"); continue; }
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') { fail("no space before the value"); continue; }
    const std::string value = line.substr(i + 1);
    char *end = nullptr;
    s.value = std::strtod(value.c_str(), &end);
    if (value.empty() || (*end != '\0' && *end != ' ')) { fail("bad value"); continue; }
    out.samples.push_back(std::move(s));
  }
  return out;
}

}  // namespace threadleak_test
