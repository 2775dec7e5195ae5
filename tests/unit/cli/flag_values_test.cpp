// The CLI11 validators of flag values (userspace/cli/flag_values.h): what
// they hand the option to store. Their messages are asserted, with the flag
// names in front, in options_test.cpp.
#include <gtest/gtest.h>

#include "cli/flag_values.h"

namespace threadleak {
namespace {

using namespace std::chrono_literals;

/// The validator's error, or "=VALUE" with the value it stores.
std::string apply(const CLI::Validator& v, std::string value) {
    const std::string error = v(value);
    return error.empty() ? "=" + value : error;
}

TEST(FlagValues, ByteSizeRewritesSuffixesToBytes) {
    const CLI::Validator v = byte_size(1, 1ull << 40, false);
    EXPECT_EQ(apply(v, "16K"), "=16384");
    EXPECT_EQ(apply(v, "32M"), "=33554432");
    EXPECT_EQ(apply(v, "1G"), "=1073741824");
    EXPECT_EQ(apply(v, "4097"), "=4097");
    EXPECT_EQ(apply(v, "1024G"), "=1099511627776");
    EXPECT_EQ(apply(v, "1025G"), "'1025G' is too large; the maximum is 1024G");
    EXPECT_EQ(apply(v, "18446744073709551616"), "'18446744073709551616' is too large; the maximum is 1024G");
}

TEST(FlagValues, DurationRewritesToNanoseconds) {
    const CLI::Validator v = duration_ns(1ms, 1h);
    EXPECT_EQ(apply(v, "1.5s"), "=1500000000");
    EXPECT_EQ(apply(v, "1h"), "=3600000000000");
    EXPECT_EQ(apply(v, "61m"), "'61m' is too large; the maximum is 1h");
}

TEST(FlagValues, WholeNumberKeepsTheValue) {
    const CLI::Validator v = whole_number(0, 255);
    EXPECT_EQ(apply(v, "007"), "=007");
    EXPECT_EQ(apply(v, "+5"), "'+5' is not a whole number; use one from 0 to 255");
    EXPECT_EQ(apply(v, " 5"), "' 5' is not a whole number; use one from 0 to 255");
}

TEST(FlagValues, LongValuesAreCutInMessages) {
    const CLI::Validator v = whole_number(0, 255);
    EXPECT_EQ(apply(v, std::string(30, 'a')), "'aaaaaaaaaaaaaaaaaaaa...' is not a whole number; use one from 0 to 255");
    EXPECT_EQ(apply(v, std::string(20, 'a')), "'aaaaaaaaaaaaaaaaaaaa' is not a whole number; use one from 0 to 255");
}

TEST(FlagValues, BytesText) {
    EXPECT_EQ(bytes_text(512), "512");
    EXPECT_EQ(bytes_text(1024), "1K");
    EXPECT_EQ(bytes_text(16384), "16K");
    EXPECT_EQ(bytes_text(1536), "1536");  // 1.5K is not exact in whole K
    EXPECT_EQ(bytes_text(32u << 20), "32M");
    EXPECT_EQ(bytes_text(1u << 30), "1G");
    EXPECT_EQ(bytes_text(0), "0");
}

TEST(FlagValues, OrList) {
    EXPECT_EQ(or_list({}), "");
    EXPECT_EQ(or_list({"text"}), "text");
    EXPECT_EQ(or_list({"text", "json"}), "text or json");
    EXPECT_EQ(or_list({"a", "b", "c"}), "a, b or c");
}

TEST(FlagValues, OneOfAcceptsOnlyTheNames) {
    const CLI::Validator v = one_of({"text", "json"});
    EXPECT_EQ(apply(v, "json"), "=json");
    EXPECT_EQ(apply(v, "jso"), "'jso' is unknown; use text or json");
}

}  // namespace
}  // namespace threadleak
