#include "analyze/test_attribution.h"

#include <string_view>

#include "capture/test_probe_sites.h"

namespace threadleak {
namespace {

/// "a::b::C" -> "C": the last component of a scoped name, outside template arguments.
std::string last_component(const std::string& scoped) {
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i + 1 < scoped.size(); i++) {
        if (scoped[i] == '<') depth++;
        else if (scoped[i] == '>') depth--;
        else if (depth == 0 && scoped[i] == ':' && scoped[i + 1] == ':') start = i + 2;
    }
    return scoped.substr(start);
}

std::string strip_templates(const std::string& s) {
    std::string out;
    int depth = 0;
    for (char c : s) {
        if (c == '<') depth++;
        else if (c == '>') depth--;
        else if (depth == 0) out += c;
    }
    return out;
}

/// GoogleTest names a test's class "Suite_Name_Test" (names have no '_',
/// as GoogleTest requires), typed tests "gtest_suite_Suite_::Name<T>".
std::optional<std::string> gtest_name(const std::string& function) {
    const std::string tail = "::TestBody()";
    if (!function.ends_with(tail)) return std::nullopt;
    std::string cls = strip_templates(function.substr(0, function.size() - tail.size()));
    const std::string typed = "gtest_suite_";
    if (size_t at = cls.rfind(typed); at != std::string::npos) {
        std::string rest = cls.substr(at + typed.size());  // "Suite_::Name"
        size_t sep = rest.find("_::");
        if (sep == std::string::npos || sep == 0) return std::nullopt;
        return rest.substr(0, sep) + "." + last_component(rest.substr(sep + 1));
    }
    cls = last_component(cls);
    if (!cls.ends_with("_Test")) return std::nullopt;
    cls.resize(cls.size() - 5);
    size_t sep = cls.find('_');
    if (sep == std::string::npos || sep == 0 || sep + 1 == cls.size()) return std::nullopt;
    return cls.substr(0, sep) + "." + cls.substr(sep + 1);
}

/// BOOST_AUTO_TEST_CASE(name) in BOOST_AUTO_TEST_SUITE(suite): "suite::name::test_method()".
std::optional<std::string> boost_name(const std::string& function) {
    const std::string tail = "::test_method()";
    if (function.ends_with(tail)) {
        std::string name = boost_test_name(function.substr(0, function.size() - tail.size()) + "_invoker()");
        if (!name.empty()) return name;
    }
    std::string name = boost_test_name(function);
    if (!name.empty()) return name;
    return std::nullopt;
}

}  // namespace

std::optional<std::string> test_from_frames(const Stack& created_by) {
    for (const Frame& f : created_by) {
        if (!f.function) continue;
        if (auto name = gtest_name(*f.function)) return name;
        if (auto name = boost_name(*f.function)) return name;
    }
    return std::nullopt;
}

std::optional<std::string> test_of(const PendingLeak& leak, const Stack& created_by) {
    if (leak.test) return leak.test;
    if (auto name = test_from_frames(created_by)) return name;
    if (leak.test_ordinal) return "test #" + std::to_string(*leak.test_ordinal);
    return std::nullopt;
}

namespace {

/// "Test", "TestLeaks", "Test_x": Go's testing runs a function as a test when its
/// name is the prefix alone or the prefix then a character that is not lowercase.
bool is_go_test_name(std::string_view name) {
    for (std::string_view prefix : {"Test", "Benchmark", "Example", "Fuzz"}) {
        if (!name.starts_with(prefix)) continue;
        if (name.size() == prefix.size()) return true;
        const char next = name[prefix.size()];
        return !(next >= 'a' && next <= 'z');
    }
    return false;
}

}  // namespace

std::optional<std::string> go_test_from_frames(const Stack& created_by) {
    for (const Frame& f : created_by) {
        if (!f.function) continue;
        // "path/to/pkg.TestLeaks.func1.2": the package ends at the first '.' after the last '/'.
        std::string_view name = *f.function;
        const size_t slash = name.rfind('/');
        const size_t dot = name.find('.', slash == std::string_view::npos ? 0 : slash);
        if (dot == std::string_view::npos) continue;
        name.remove_prefix(dot + 1);
        const std::string_view function = name.substr(0, name.find('.'));
        if (is_go_test_name(function)) return std::string(function);
    }
    return std::nullopt;
}

}  // namespace threadleak
