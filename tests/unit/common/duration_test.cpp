// Durations as the command line spells them (userspace/common/duration.h).
#include <gtest/gtest.h>

#include "common/duration.h"

using namespace threadleak;
using namespace std::chrono_literals;

namespace {

/// The reason parse_duration gives, or nullopt when it accepts the text.
std::optional<DurationError> error_of(std::string_view text) {
    DurationError why{};
    if (parse_duration(text, &why)) return std::nullopt;
    return why;
}

}  // namespace

TEST(ParseDuration, AcceptsUnitsAndBareSeconds) {
    EXPECT_EQ(parse_duration("500ms"), 500ms);
    EXPECT_EQ(parse_duration("3s"), 3s);
    EXPECT_EQ(parse_duration("3"), 3s);
    EXPECT_EQ(parse_duration("1.5s"), 1500ms);
    EXPECT_EQ(parse_duration("2m"), 120s);
    EXPECT_EQ(parse_duration("2min"), 120s);
    EXPECT_EQ(parse_duration("1h"), 3600s);
    EXPECT_EQ(parse_duration("250us"), 250us);
    EXPECT_EQ(parse_duration("10ns"), 10ns);
    EXPECT_EQ(parse_duration("0"), 0ns);
    EXPECT_EQ(parse_duration(".5s"), 500ms);
    EXPECT_EQ(parse_duration("5."), 5s);
}

TEST(ParseDuration, FractionsAreExactToTheNanosecond) {
    // A double would make 0.3s 299999999ns.
    EXPECT_EQ(parse_duration("0.3s"), 300ms);
    EXPECT_EQ(parse_duration("0.1s"), 100ms);
    EXPECT_EQ(parse_duration("1.000000001s"), 1'000'000'001ns);
    EXPECT_EQ(parse_duration("0.0000000019s"), 1ns);  // finer digits are dropped, not rounded
    EXPECT_EQ(parse_duration("0.5h"), 30min);
}

TEST(ParseDuration, RejectsGarbageAsMalformed) {
    for (const char* text : {"", "abc", "5x", "1.2.3", "s", ".", "5 s", " 5s", "5S", "1e3", "+5s", "-", "-abc"}) {
        SCOPED_TRACE(text);
        EXPECT_EQ(error_of(text), DurationError::kMalformed);
        EXPECT_FALSE(parse_duration(text).has_value());
    }
}

TEST(ParseDuration, RejectsNegativeNumbers) {
    EXPECT_EQ(error_of("-1s"), DurationError::kNegative);
    EXPECT_EQ(error_of("-0.5ms"), DurationError::kNegative);
    EXPECT_EQ(error_of("-.5ms"), DurationError::kNegative);
}

TEST(ParseDuration, OverflowIsTooLargeNotWrapped) {
    EXPECT_EQ(error_of("99999999h"), DurationError::kTooLarge);
    EXPECT_EQ(error_of(std::string(400, '9')), DurationError::kTooLarge);
    EXPECT_EQ(error_of(std::string(400, '9') + "ns"), DurationError::kTooLarge);
    EXPECT_EQ(error_of("9223372036854775808ns"), DurationError::kTooLarge);
    // The largest int64 count of nanoseconds still fits.
    EXPECT_EQ(parse_duration("9223372036854775807ns"), std::chrono::nanoseconds::max());
    EXPECT_EQ(parse_duration("2562047h"), std::chrono::hours(2562047));
    EXPECT_EQ(error_of("2562048h"), DurationError::kTooLarge);
}

TEST(DurationText, UsesTheLargestExactUnit) {
    EXPECT_EQ(duration_text(20ms), "20ms");
    EXPECT_EQ(duration_text(10000h), "10000h");
    EXPECT_EQ(duration_text(90s), "90s");
    EXPECT_EQ(duration_text(120s), "2m");
    EXPECT_EQ(duration_text(1500us), "1500us");
    EXPECT_EQ(duration_text(7ns), "7ns");
    EXPECT_EQ(duration_text(0ns), "0s");
}

TEST(DurationText, ReadsBackToTheSameValue) {
    for (std::chrono::nanoseconds d : std::initializer_list<std::chrono::nanoseconds>{
             1ns, 999ns, 1ms, 20ms, 1500ms, 59s, 61min, 10000h}) {
        SCOPED_TRACE(duration_text(d));
        EXPECT_EQ(parse_duration(duration_text(d)), d);
    }
}
