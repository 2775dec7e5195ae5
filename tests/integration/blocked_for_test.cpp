// "Blocked for" against a thread parked for a known time (timed_pause), on an
// unpinned command: the thread sleeps on one CPU and may be killed on another,
// whose scheduler clock differs from the first one's by the steal time. Every
// run must report the time within 25 ms, and never leave it out.
#include "run_harness.h"

#include <time.h>

#include <optional>

namespace {

using namespace threadleak_test;

constexpr long kToleranceNs = 25'000'000;

long MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000L + ts.tv_nsec;
}

/// The number after "KEY=" in the fixture's stdout.
std::optional<long> PrintedValue(const std::string &out, const std::string &key) {
  const size_t at = out.find(key + "=");
  if (at == std::string::npos) return std::nullopt;
  return std::stol(out.substr(at + key.size() + 1));
}

/// The leak of the thread parked in pause(), or null.
json PauseLeak(const RunResult &run) {
  for (const auto &leak : Get(run.report, "/leaks"))
    if (GetString(leak, "/blocked_in/syscall") == "pause") return leak;
  return nullptr;
}

class BlockedForTest : public RunTest {};

TEST_F(BlockedForTest, ThirtyUnpinnedRunsReportTheParkedTimeWithin25Ms) {
  SKIP_UNLESS_ROOT();
  int exact = 0;
  for (int i = 0; i < 30; ++i) {
    const std::string sleep_ms = std::to_string(200 + (i % 5) * 25);
    SCOPED_TRACE("run " + std::to_string(i) + ", parked for " + sleep_ms + " ms");
    const RunResult run = RunCommand({"build/fixtures/timed_pause", sleep_ms});
    ASSERT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
    const std::optional<long> parked = PrintedValue(run.out, "parked_ns");
    ASSERT_TRUE(parked) << run.Describe();
    const json leak = PauseLeak(run);
    ASSERT_TRUE(leak.is_object()) << "no leak blocked in pause()\n" << run.Describe();
    const json blocked_for = Get(leak, "/blocked_in/blocked_for_ns");
    ASSERT_TRUE(blocked_for.is_number_integer()) << "blocked_for_ns missing\n" << leak.dump(2);
    EXPECT_NEAR(blocked_for.get<long>(), *parked, kToleranceNs) << leak.dump(2);
    const json is_exact = Get(leak, "/blocked_in/blocked_for_exact");
    EXPECT_TRUE(is_exact.is_boolean()) << leak.dump(2);
    exact += is_exact.is_boolean() && is_exact.get<bool>();
  }
  // A lower bound is for threads first seen long after they parked, or a CPU
  // whose steal time jumped between two samples: not the usual case.
  EXPECT_GE(exact, 25) << "runs with an exact blocked_for";
}

TEST_F(BlockedForTest, HungThreadsReportHowLongTheyWereParkedWhenTheTimeoutExpired) {
  SKIP_UNLESS_ROOT();
  for (int i = 0; i < 5; ++i) {
    SCOPED_TRACE("run " + std::to_string(i));
    const long started = MonotonicNs();
    const RunResult run = RunCommand({"build/fixtures/timed_pause", "60000"}, {"--timeout", "400ms"});
    const long ended = MonotonicNs();
    ASSERT_EQ(run.exit_code, 124) << run.Describe();
    const std::optional<long> parked_at = PrintedValue(run.out, "parked_at_ns");
    ASSERT_TRUE(parked_at) << run.Describe();
    const json leak = PauseLeak(run);
    ASSERT_TRUE(leak.is_object()) << "no hung thread blocked in pause()\n" << run.Describe();
    EXPECT_EQ(GetString(leak, "/kind"), "hung") << leak.dump(2);
    const json blocked_for = Get(leak, "/blocked_in/blocked_for_ns");
    ASSERT_TRUE(blocked_for.is_number_integer()) << "blocked_for_ns missing\n" << leak.dump(2);
    // Captured after the 400 ms timeout, which began before the thread parked,
    // and before threadleak exited.
    EXPECT_GE(blocked_for.get<long>(), started + 400'000'000 - *parked_at - kToleranceNs) << leak.dump(2);
    EXPECT_LE(blocked_for.get<long>(), ended - *parked_at + kToleranceNs) << leak.dump(2);
  }
}

}  // namespace
