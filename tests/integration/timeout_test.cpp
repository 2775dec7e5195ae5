// --timeout on a command that never ends: every live thread is shown with what
// it does, including threads spinning on a CPU, and the command is killed.
#include "run_harness.h"

#include <signal.h>

namespace {

using namespace threadleak_test;

class TimeoutTest : public RunTest {};

TEST_F(TimeoutTest, SpinningThreadAndItsJoinerAreBothShownWithStacks) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs (run make test as root)";
  RunResult run = RunFixture("join_spinner", {"--timeout", "700ms"});
  ASSERT_TRUE(run.report.is_object()) << run.Describe();
  EXPECT_EQ(run.exit_code, 124) << run.Describe();
  EXPECT_TRUE(Get(run.report, "/timed_out").get<bool>()) << run.Describe();

  const json leaks = Get(run.report, "/leaks");
  ASSERT_EQ(leaks.size(), 2u) << run.Describe();
  const long pid = GetInt(leaks[0], "/pid");
  json main_thread, spinner;
  for (const auto& l : leaks) {
    EXPECT_EQ(GetString(l, "/kind"), "hung") << run.Describe();
    (GetInt(l, "/tids/0") == pid ? main_thread : spinner) = l;
  }
  ASSERT_TRUE(main_thread.is_object() && spinner.is_object()) << run.Describe();

  EXPECT_EQ(GetString(main_thread, "/state"), "blocked") << run.Describe();
  EXPECT_EQ(GetString(main_thread, "/blocked_in/syscall"), "futex") << run.Describe();
  EXPECT_TRUE(FramesContain(BlockedFrames(main_thread), "__pthread_clockjoin_ex") ||
              FramesContain(BlockedFrames(main_thread), "pthread_join"))
      << run.Describe();
  EXPECT_TRUE(FramesContain(BlockedFrames(main_thread), "main")) << run.Describe();

  EXPECT_EQ(GetString(spinner, "/state"), "running") << run.Describe();
  EXPECT_TRUE(FramesContain(Get(spinner, "/running_frames"), "spin_without_end")) << run.Describe();
  EXPECT_TRUE(FramesContain(Get(spinner, "/running_frames"), "spinner_entry")) << run.Describe();
  EXPECT_EQ(GetInt(spinner, "/created_by/tid"), pid) << run.Describe();
  EXPECT_TRUE(FramesContain(Get(spinner, "/created_by/frames"), "main")) << run.Describe();

  EXPECT_EQ(kill(static_cast<pid_t>(pid), 0), -1) << "the command was not killed";
}

}  // namespace
