// The phrases every human-readable format shares (formats/wording.h).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <limits>

#include "formats/wording.h"

namespace threadleak {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;

TEST(Wording, WholeDurationIsInWholeSecondsFromOneSecondOn) {
    EXPECT_EQ(whole_duration(850'000'000), "850.00ms");
    EXPECT_EQ(whole_duration(kSecond), "1s");
    EXPECT_EQ(whole_duration(12 * kSecond + 999'999'999), "12s");  // truncated: never more than observed
    EXPECT_EQ(whole_duration(60 * kSecond), "1m0s");
    EXPECT_EQ(whole_duration(72 * kSecond), "1m12s");
    EXPECT_EQ(whole_duration(3600 * kSecond), "1h0m0s");
    EXPECT_EQ(whole_duration((26 * 3600 + 3 * 60) * kSecond), "26h3m0s");
}

TEST(Wording, GroupedCountsHaveThousandsSeparators) {
    EXPECT_EQ(grouped(0), "0");
    EXPECT_EQ(grouped(999), "999");
    EXPECT_EQ(grouped(1000), "1,000");
    EXPECT_EQ(grouped(49305), "49,305");
    EXPECT_EQ(grouped(1234567), "1,234,567");
    EXPECT_EQ(grouped(18446744073709551615u), "18,446,744,073,709,551,615");
}

TEST(Wording, SignedRateHasOneDecimalAndNoNegativeZero) {
    EXPECT_EQ(signed_rate(34.2), "+34.2");
    EXPECT_EQ(signed_rate(-2.44), "-2.4");
    EXPECT_EQ(signed_rate(-0.01), "+0.0");
    EXPECT_EQ(signed_rate(0), "+0.0");
    EXPECT_EQ(signed_rate(std::nan("")), "?");
}

TEST(Wording, RoundedCountIsNeverNegative) {
    EXPECT_EQ(rounded_count(49305.4), "49,305");
    EXPECT_EQ(rounded_count(1.5), "2");
    EXPECT_EQ(rounded_count(-3), "0");
    EXPECT_EQ(rounded_count(std::numeric_limits<double>::infinity()), "?");
}

TEST(Wording, LocalTimeFollowsTz) {
    const char* saved = std::getenv("TZ");
    const std::string old = saved ? saved : "";
    setenv("TZ", "UTC", 1);
    tzset();
    EXPECT_EQ(local_time(1'796'320'741'500'000'000), "2026-12-03 17:59:01");
    EXPECT_EQ(local_time(-500'000'000), "1969-12-31 23:59:59");  // the second it falls in
    setenv("TZ", "JST-9", 1);  // a POSIX rule (no zoneinfo needed): UTC+9
    tzset();
    EXPECT_EQ(local_time(1'796'320'741'000'000'000), "2026-12-04 02:59:01");
    if (saved) setenv("TZ", old.c_str(), 1);
    else unsetenv("TZ");
    tzset();
}

}  // namespace
}  // namespace threadleak
