// Many short processes that each leak a thread: every leak reported with its
// own creation and blocking stacks, in memory that does not grow with the
// number of processes (their files' debug info is read once, not per process).
// Needs root (BPF). Harness: run_harness.h.
#include <set>
#include <string>

#include "run_harness.h"

namespace {

using namespace threadleak_test;

constexpr int kChildren = 200;
// Reading libc's debug info once per process cost about 17 MiB each (3.4 GB
// for 200); shared, the whole run stays near 100 MiB.
constexpr long kMaxPeakRssKib = 256 * 1024;

TEST_F(RunTest, TwoHundredLeakingChildrenAreAllReportedInBoundedMemory) {
  SKIP_UNLESS_ROOT();
  ExpectFixtureBuilt("fork_many_leakers");
  const RunResult run = RunCommand({"build/fixtures/fork_many_leakers", std::to_string(kChildren)});
  const std::string context = run.Describe();
  ASSERT_TRUE(run.report.is_object()) << context;
  EXPECT_EQ(run.exit_code, kLeakExitCode) << context;
  EXPECT_EQ(GetInt(run.report, "/lost_events"), 0) << context;
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), kChildren) << context;

  std::set<long> pids;
  long counted = 0;
  for (const auto &leak : Get(run.report, "/leaks")) {
    counted += GetInt(leak, "/count", 0);
    pids.insert(GetInt(leak, "/pid"));
    EXPECT_EQ(GetString(leak, "/kind"), "parked") << leak.dump(2);
    EXPECT_TRUE(FramesContain(Get(leak, "/created_by/frames"), "start_leaking_thread")) << leak.dump(2);
    EXPECT_TRUE(FramesContain(Get(leak, "/created_by/frames"), "pthread_create")) << leak.dump(2);
    EXPECT_TRUE(FramesContain(BlockedFrames(leak), "leaker_thread_body")) << leak.dump(2);
    EXPECT_TRUE(FramesContain(BlockedFrames(leak), "start_thread")) << leak.dump(2);
  }
  EXPECT_EQ(counted, kChildren) << context;
  EXPECT_EQ(pids.size(), static_cast<size_t>(kChildren)) << "one leak per child\n" << context;

  ASSERT_GT(run.peak_rss_kib, 0);
  EXPECT_LE(run.peak_rss_kib, kMaxPeakRssKib)
      << "peak RSS " << run.peak_rss_kib / 1024 << " MiB for " << kChildren << " processes";
  ::testing::Test::RecordProperty("peak_rss_kib", static_cast<int>(run.peak_rss_kib));
}

}  // namespace
