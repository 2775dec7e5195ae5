// A ring buffer too small for the burst of records: the loss is counted and
// said, never silent.
#include "run_harness.h"

namespace {

using namespace threadleak_test;

class LostEventsTest : public RunTest {};

TEST_F(LostEventsTest, TinyRingBufferCountsLostRecordsInJsonAndText) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs (run make test as root)";
  // 50 thread creations + 50 leaked exits, each with a stack copy, cannot fit in 16 KiB
  // between two 5 ms drains.
  RunResult run = RunFixture("many_threads", {"--ringbuf-size", "16384"});
  ASSERT_TRUE(run.report.is_object()) << run.Describe();
  EXPECT_GT(GetInt(run.report, "/lost_events"), 0) << run.Describe();
  EXPECT_LT(GetInt(run.report, "/leaked_threads"), 50) << run.Describe();
  EXPECT_EQ(run.exit_code, 66) << run.Describe();

  RunResult text = RunThreadleak({"run", "--ringbuf-size", "16384", "--", "build/fixtures/many_threads"});
  EXPECT_NE(text.err.find("dropped (ring buffer full): the report may be incomplete; raise --ringbuf-size"),
            std::string::npos)
      << text.Describe();
}

}  // namespace
