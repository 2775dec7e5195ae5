// Lost data is counted, named by its cause and fix, and never read as a clean
// run: a lossy run that found no leak exits "report incomplete" (75).
#include "run_harness.h"

namespace {

using namespace threadleak_test;

class LostEventsTest : public RunTest {};

TEST_F(LostEventsTest, SmallRingBufferCountsLostRecordsInJsonAndText) {
  SKIP_UNLESS_ROOT();
  // 50 leaked exits, each with a 16 KiB stack copy, come in one burst at the
  // process's exit: they cannot fit in the smallest ring buffer accepted, 128K.
  RunResult run = RunFixture("many_threads", {"--ringbuf-size", "128K"});
  ASSERT_TRUE(run.report.is_object()) << run.Describe();
  EXPECT_GT(GetInt(run.report, "/lost_events"), 0) << run.Describe();
  EXPECT_GT(GetInt(run.report, "/health/ringbuf_drops"), 0) << run.Describe();
  EXPECT_EQ(GetInt(run.report, "/health/traced_map_full"), 0) << run.Describe();
  // Which records were dropped (creations, exits, mappings) varies from run to
  // run: what never varies is that the loss is counted and said.

  RunResult text = RunThreadleak({"run", "--ringbuf-size", "128K", "--", "build/fixtures/many_threads"});
  EXPECT_NE(text.err.find("dropped (ring buffer full): the report may be incomplete; raise --ringbuf-size"),
            std::string::npos)
      << text.Describe();
}

TEST_F(LostEventsTest, RingBufferTooSmallForOneRecordIsRefused) {
  const RunResult run = RunThreadleak({"run", "--ringbuf-size", "4096", "--", "true"});
  EXPECT_EQ(run.exit_code, 64) << run.Describe();
  EXPECT_NE(run.err.find("--ringbuf-size 4K cannot hold four of the largest records"), std::string::npos)
      << run.Describe();
}

TEST_F(LostEventsTest, FullProcessMapNamesMaxProcessesNotTheRingBuffer) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("condvar_waiter"));
  const std::string waiter = (RepoRoot() / "build/fixtures/condvar_waiter").string();
  // bash and its first child fill a map of 2; the other four are not followed.
  const std::string script = "for i in 1 2 3 4 5; do " + waiter + " & done; wait";
  const RunResult run = RunCommand({"/bin/bash", "-c", script}, {"--max-processes", "2"});
  const std::string context = run.Describe();
  ASSERT_TRUE(run.report.is_object()) << context;
  EXPECT_GT(GetInt(run.report, "/health/traced_map_full"), 0) << context;
  EXPECT_EQ(GetInt(run.report, "/health/ringbuf_drops"), 0) << context;
  EXPECT_LT(GetInt(run.report, "/leaked_threads"), 5) << context;

  const RunResult text = RunThreadleak({"run", "--max-processes", "2", "--", "/bin/bash", "-c", script});
  EXPECT_NE(text.err.find("not followed (traced-process map full): raise --max-processes"), std::string::npos)
      << text.Describe();
  EXPECT_EQ(text.err.find("raise --ringbuf-size"), std::string::npos) << text.Describe();
}

TEST_F(LostEventsTest, LossyRunWithoutLeaksIsNotClean) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("no_threads"));
  const std::string quiet = (RepoRoot() / "build/fixtures/no_threads").string();
  // The children are not followed, so nothing is found: that is no proof of no leak.
  const std::string script = quiet + " & " + quiet + " & " + quiet + " & wait";
  const RunResult run = RunCommand({"/bin/bash", "-c", script}, {"--max-processes", "1"});
  const std::string context = run.Describe();
  EXPECT_EQ(run.exit_code, 75) << context;
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 0) << context;
  EXPECT_GT(GetInt(run.report, "/lost_events"), 0) << context;
  const RunResult text = RunThreadleak({"run", "--max-processes", "1", "--", "/bin/bash", "-c", script});
  EXPECT_EQ(text.exit_code, 75) << text.Describe();
  EXPECT_NE(text.err.find("threadleak: report incomplete: no leaked threads found"), std::string::npos)
      << text.Describe();
}

}  // namespace
