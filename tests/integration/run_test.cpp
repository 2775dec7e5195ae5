// Integration tests for `threadleak run`: real fixtures (tests/fixtures/) with known
// answers, checked the way a user reads the JSON report. Need root (BPF); the error
// cases that are decided before any BPF work run without it where the tool allows.
//
// The harness (running threadleak with a wall-clock guard, JSON accessors, the RunTest
// fixture) is in run_harness.h, shared with more_run_test.cpp.
#include <cerrno>
#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "run_harness.h"

namespace {

using namespace threadleak_test;

TEST_F(RunTest, CondvarWaiterIsReportedWithCreatorAndBlockingCall) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunFixture("condvar_waiter");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "condvar_waiter"));
  const json leak = SingleLeak(run);
  const std::string context = run.Describe();
  EXPECT_EQ(GetString(leak, "/kind"), "parked") << context;
  EXPECT_EQ(GetInt(leak, "/count"), 1) << context;
  EXPECT_TRUE(FramesContain(Get(leak, "/created_by/frames"), "start_heartbeat")) << context;
  EXPECT_EQ(GetInt(leak, "/created_by/tid"), GetInt(leak, "/pid"))
      << "the main thread created it\n" << context;
  EXPECT_EQ(GetString(leak, "/state"), "blocked") << context;
  EXPECT_EQ(GetString(leak, "/blocked_in/syscall"), "futex") << context;
  EXPECT_TRUE(FramesContain(BlockedFrames(leak), "pthread_cond_wait")) << context;
  EXPECT_TRUE(FramesContain(BlockedFrames(leak), "heartbeat_loop")) << context;
  EXPECT_TRUE(Get(leak, "/blocked_in").contains("timeout_ns")) << context;
  EXPECT_TRUE(Get(leak, "/blocked_in/timeout_ns").is_null()) << context;
  EXPECT_EQ(GetInt(run.report, "/processes/0/pid"), GetInt(leak, "/pid")) << context;
  EXPECT_EQ(GetInt(run.report, "/processes/0/exit_code"), 0) << context;
  EXPECT_EQ(GetInt(run.report, "/exit_code"), 0) << context;
  EXPECT_EQ(Get(run.report, "/timed_out"), false) << context;
}

TEST_F(RunTest, StrippedBinaryStillGetsLibcFramesAndModuleOffsets) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunFixture("condvar_waiter_stripped");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "condvar_waiter_stripped"));
  const json leak = SingleLeak(run);
  const std::string context = run.Describe();
  EXPECT_TRUE(FramesContain(BlockedFrames(leak), "pthread_cond_wait")) << context;
  const auto dynsym = DynamicSymbols(RepoRoot() / "build/fixtures/condvar_waiter_stripped");
  int own_frames = 0;
  for (const auto &frame : BlockedFrames(leak)) {
    if (!GetString(frame, "/module").ends_with("condvar_waiter_stripped")) continue;
    ++own_frames;
    EXPECT_TRUE(Get(frame, "/function").is_null() || dynsym.contains(FunctionOf(frame)))
        << "a stripped frame can only be named from .dynsym: " << frame.dump();
    EXPECT_TRUE(GetString(frame, "/offset").starts_with("0x")) << frame.dump();
  }
  EXPECT_GE(own_frames, 1) << "no frame from the stripped executable\n" << context;
}

TEST_F(RunTest, FullQueueProducerIsBlockedInConditionVariableWait) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunFixture("full_queue_producer");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "full_queue_producer"));
  const json leak = SingleLeak(run);
  const std::string context = run.Describe();
  EXPECT_EQ(GetString(leak, "/blocked_in/syscall"), "futex") << context;
  EXPECT_TRUE(FramesContain(BlockedFrames(leak), "produce_items")) << context;
  EXPECT_TRUE(FramesContain(BlockedFrames(leak), "pthread_cond_wait")) << context;
  EXPECT_EQ(GetInt(run.report, "/exit_code"), 0) << context;
}

TEST_F(RunTest, PipeReaderIsBlockedInReadOnAPipe) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunFixture("pipe_reader");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "pipe_reader"));
  const json leak = SingleLeak(run);
  const std::string context = run.Describe();
  EXPECT_EQ(GetString(leak, "/blocked_in/syscall"), "read") << context;
  EXPECT_EQ(GetString(leak, "/blocked_in/args/fd_kind"), "pipe") << context;
  EXPECT_TRUE(FramesContain(BlockedFrames(leak), "pipe_reader_loop")) << context;
  EXPECT_TRUE(FramesContain(Get(leak, "/created_by/frames"), "start_pipe_reader")) << context;
}

TEST_F(RunTest, BusyLoopIsReportedRunningInItsSpinFunction) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunFixture("busy_loop");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "busy_loop"));
  const json leak = SingleLeak(run);
  const std::string context = run.Describe();
  EXPECT_EQ(GetString(leak, "/state"), "running") << context;
  EXPECT_TRUE(FramesContain(Get(leak, "/running_frames"), "spin_forever")) << context;
  EXPECT_TRUE(leak.contains("blocked_in") && leak["blocked_in"].is_null()) << context;
  EXPECT_TRUE(FramesContain(Get(leak, "/created_by/frames"), "start_spinner")) << context;
}

TEST_F(RunTest, ManyThreadsFromOneCallSiteAreGroupedIntoOneLeak) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunFixture("many_threads");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "many_threads"));
  const std::string context = run.Describe();
  EXPECT_EQ(run.exit_code, kLeakExitCode) << context;
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 50) << context;
  ASSERT_EQ(Get(run.report, "/leaks").size(), 1u) << context;
  const json leak = Get(run.report, "/leaks/0");
  EXPECT_EQ(GetInt(leak, "/count"), 50) << context;
  std::set<long> tids;
  for (const auto &tid : Get(leak, "/tids"))
    if (tid.is_number_integer()) tids.insert(tid.get<long>());
  EXPECT_EQ(tids.size(), 50u) << context;
  EXPECT_TRUE(FramesContain(Get(leak, "/created_by/frames"), "spawn_workers")) << context;
}

TEST_F(RunTest, LeakInForkedChildIsAttributedToTheChild) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunFixture("fork_child_leak");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "fork_child_leak"));
  const json leak = SingleLeak(run);
  const std::string context = run.Describe();
  const long parent = GetInt(run.report, "/processes/0/pid");
  long child = -1;
  for (const auto &process : Get(run.report, "/processes"))
    if (GetInt(process, "/ppid", -2) == parent) child = GetInt(process, "/pid");
  ASSERT_NE(child, -1) << "the forked child is not listed in processes\n" << context;
  EXPECT_NE(GetInt(leak, "/pid"), parent) << context;
  EXPECT_EQ(GetInt(leak, "/pid"), child) << context;
  EXPECT_TRUE(FramesContain(Get(leak, "/created_by/frames"), "child_start_worker")) << context;
  EXPECT_EQ(GetInt(run.report, "/exit_code"), 0) << context;
}

TEST_F(RunTest, JoinedPoolReportsNothing) {
  SKIP_UNLESS_ROOT();
  ExpectNoLeaks("joined_pool", 0);
}

TEST_F(RunTest, ThreadsStoppedByFlagAndJoinedReportNothing) {
  SKIP_UNLESS_ROOT();
  ExpectNoLeaks("stop_flag", 0);
}

TEST_F(RunTest, SingleThreadedProgramReportsNothing) {
  SKIP_UNLESS_ROOT();
  ExpectNoLeaks("no_threads", 0);
}

TEST_F(RunTest, ExitCodeOfCommandIsPassedThroughWhenNothingLeaks) {
  SKIP_UNLESS_ROOT();
  ExpectNoLeaks("exit_code", 3);
}

TEST_F(RunTest, TimeoutReportsHungThreadsAndKillsTheCommand) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunFixture("hang_forever", {"--timeout", "2s"});
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "hang_forever"));
  const std::string context = run.Describe();
  EXPECT_EQ(run.exit_code, 124) << context;
  EXPECT_EQ(Get(run.report, "/timed_out"), true) << context;
  bool waiter_found = false;
  for (const auto &leak : Get(run.report, "/leaks"))
    if (GetString(leak, "/kind") == "hung" && FramesContain(BlockedFrames(leak), "wait_for_signal"))
      waiter_found = true;
  EXPECT_TRUE(waiter_found) << "no hung leak blocked in wait_for_signal\n" << context;
  for (const auto &process : Get(run.report, "/processes")) {
    const pid_t pid = static_cast<pid_t>(GetInt(process, "/pid", 0));
    if (pid <= 0) continue;
    bool gone = false;
    for (int i = 0; i < 50 && !gone; ++i) {
      waitpid(pid, nullptr, WNOHANG);  // a killed orphan reparented to us
      gone = kill(pid, 0) == -1 && errno == ESRCH;
      if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(gone) << "process " << pid << " still exists after the timeout\n" << context;
    if (!gone) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
}

TEST_F(RunTest, CommandNotFoundExits127AndNamesTheCommand) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunThreadleak({"run", "--", "/nonexistent/cmd"});
  EXPECT_EQ(run.exit_code, 127) << run.Describe();
  EXPECT_NE(run.err.find("/nonexistent/cmd"), std::string::npos) << run.Describe();
}

TEST_F(RunTest, BadTimeoutIsAOneLineUsageErrorNamingTheFlag) {
  const RunResult run = RunThreadleak({"run", "--timeout", "abc", "--", "build/fixtures/no_threads"});
  EXPECT_EQ(run.exit_code, 64) << run.Describe();
  EXPECT_NE(run.err.find("--timeout"), std::string::npos) << run.Describe();
  std::string_view err = run.err;
  while (err.ends_with('\n')) err.remove_suffix(1);
  EXPECT_FALSE(err.empty()) << run.Describe();
  EXPECT_EQ(err.find('\n'), std::string_view::npos) << "expected one line\n" << run.Describe();
}

TEST_F(RunTest, UnwritableOutputExits73) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunThreadleak({"run", "--format", "json", "--output",
                                       "/proc/nonexistent/x.json", "--", "build/fixtures/no_threads"});
  EXPECT_EQ(run.exit_code, 73) << run.Describe();
}

TEST_F(RunTest, TextReportOnStderrIsTheDefault) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunThreadleak({"run", "--", "build/fixtures/condvar_waiter"});
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  EXPECT_NE(run.err.find("SUMMARY: threadleak"), std::string::npos) << run.Describe();
  EXPECT_NE(run.err.find("start_heartbeat"), std::string::npos) << run.Describe();
}

}  // namespace
