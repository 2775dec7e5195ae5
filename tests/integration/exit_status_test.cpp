// The command's own failure is never hidden by threadleak's verdict, and
// threads that died with a crashed process are context, not leaks.
#include "run_harness.h"

namespace {

using namespace threadleak_test;

class ExitStatusTest : public RunTest {};

TEST_F(ExitStatusTest, CrashWithALiveThreadExitsLikeTheShellAndReportsItAsContext) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("leak_then_end"));
  const RunResult run = RunCommand({"build/fixtures/leak_then_end", "abort"}, {"--error-exitcode", "0"});
  const std::string context = run.Describe();
  ASSERT_TRUE(run.report.is_object()) << context;
  EXPECT_EQ(run.exit_code, 128 + SIGABRT) << context;
  EXPECT_EQ(GetString(run.report, "/signal"), "SIGABRT") << context;
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 0) << context;
  EXPECT_TRUE(Get(run.report, "/leaks").empty()) << context;
  ASSERT_EQ(Get(run.report, "/alive_at_crash").size(), 1u) << context;
  const json waiter = Get(run.report, "/alive_at_crash/0");
  EXPECT_EQ(GetString(waiter, "/kind"), "alive_at_crash") << context;
  EXPECT_TRUE(FramesContain(Get(waiter, "/created_by/frames"), "start_waiter")) << context;
  EXPECT_TRUE(FramesContain(BlockedFrames(waiter), "waiter_loop")) << context;
}

TEST_F(ExitStatusTest, CrashIsSaidInTextAsNotALeak) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("leak_then_end"));
  const RunResult run = RunThreadleak({"run", "--", "build/fixtures/leak_then_end", "abort"});
  EXPECT_EQ(run.exit_code, 128 + SIGABRT) << run.Describe();
  EXPECT_NE(run.err.find("was alive when SIGABRT killed the process (not counted as a leak)"),
            std::string::npos) << run.Describe();
  EXPECT_NE(run.err.find("threadleak: no leaked threads (command was killed by SIGABRT); 1 thread was "
                         "alive when a signal killed its process (not counted as leaks)"),
            std::string::npos) << run.Describe();
}

TEST_F(ExitStatusTest, FailingCommandKeepsItsExitCodeAndItsLeakIsStillReported) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("leak_then_end"));
  const RunResult run = RunCommand({"build/fixtures/leak_then_end", "exit", "3"});
  const std::string context = run.Describe();
  EXPECT_EQ(run.exit_code, 3) << context;
  EXPECT_EQ(GetInt(run.report, "/exit_code"), 3) << context;
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 1) << context;
  EXPECT_EQ(GetString(run.report, "/leaks/0/kind"), "parked") << context;
}

TEST_F(ExitStatusTest, SucceedingCommandWithALeakGetsTheErrorExitCode) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("leak_then_end"));
  const RunResult run = RunCommand({"build/fixtures/leak_then_end", "exit", "0"}, {"--error-exitcode", "9"});
  EXPECT_EQ(run.exit_code, 9) << run.Describe();
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 1) << run.Describe();
}

TEST_F(ExitStatusTest, ThreadKilledByExecIsSaidSo) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("leak_then_end"));
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("no_threads"));
  const std::string then = (RepoRoot() / "build/fixtures/no_threads").string();
  const RunResult run = RunCommand({"build/fixtures/leak_then_end", "exec", then});
  const std::string context = run.Describe();
  EXPECT_EQ(run.exit_code, kLeakExitCode) << context;
  ASSERT_EQ(Get(run.report, "/leaks").size(), 1u) << context;
  const json leak = Get(run.report, "/leaks/0");
  EXPECT_EQ(GetString(leak, "/kind"), "killed_by_exec") << context;
  EXPECT_TRUE(FramesContain(Get(leak, "/created_by/frames"), "start_waiter")) << context;
  EXPECT_TRUE(FramesContain(BlockedFrames(leak), "waiter_loop")) << context;
  EXPECT_TRUE(GetString(leak, "/exe").ends_with("leak_then_end")) << context;
}

}  // namespace
