// Processes the command started and never waited for are leaks too: reported
// (pid, exe, command line, where they were forked, what each thread is blocked
// in), then killed, so nothing outlives threadleak. --wait-descendants waits
// for them instead.
#include "run_harness.h"

namespace {

using namespace threadleak_test;

class LeakedProcessTest : public RunTest {
 protected:
  /// The run's only leaked process (empty object if there is not exactly one).
  static json SingleLeakedProcess(const RunResult &run) {
    const json procs = Get(run.report, "/leaked_processes");
    EXPECT_TRUE(procs.is_array()) << run.Describe();
    EXPECT_EQ(procs.size(), 1u) << run.Describe();
    return procs.is_array() && procs.size() == 1 ? procs[0] : json::object();
  }

  /// The leaked process's thread group whose blocking stack names `function`.
  static json ThreadBlockedIn(const json &process, const std::string &syscall) {
    for (const auto &group : Get(process, "/threads"))
      if (GetString(group, "/blocked_in/syscall") == syscall) return group;
    return json::object();
  }

  /// Fails if `pid` still runs (a zombie awaiting this subreaper is reaped first).
  static void ExpectGone(pid_t pid, const RunResult &run) {
    ASSERT_GT(pid, 0);
    waitpid(pid, nullptr, WNOHANG);
    const bool alive = kill(pid, 0) == 0;
    if (alive) kill(pid, SIGKILL);
    EXPECT_FALSE(alive) << "pid " << pid << " outlived threadleak\n" << run.Describe();
  }
};

TEST_F(LeakedProcessTest, ServerLeftRunningIsReportedWithItsForkSiteAndKilled) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("leave_server_running"));
  const RunResult run = RunFixture("leave_server_running");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "leave_server_running"));
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  EXPECT_EQ(GetInt(run.report, "/exit_code"), 0) << run.Describe();
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 0) << run.Describe();

  // The server only: its never-reaped helper is a zombie, not a leaked process.
  const json server = SingleLeakedProcess(run);
  const pid_t pid = static_cast<pid_t>(GetInt(server, "/pid"));
  EXPECT_NE(pid, GetInt(run.report, "/processes/0/pid")) << "the command itself is not a leaked process";
  EXPECT_TRUE(GetString(server, "/exe").ends_with("build/fixtures/leave_server_running")) << server.dump(2);
  EXPECT_EQ(Get(server, "/cmdline"), json::array({"build/fixtures/leave_server_running"}));
  EXPECT_EQ(GetInt(server, "/ppid"), GetInt(run.report, "/processes/0/pid")) << run.Describe();
  const json created = Get(server, "/created_by/frames");
  EXPECT_TRUE(FramesContain(created, "start_server")) << created.dump(2);
  EXPECT_TRUE(FramesContain(created, "main")) << created.dump(2);
  EXPECT_EQ(GetInt(server, "/created_by/tid"), GetInt(server, "/ppid"));

  const json acceptor = ThreadBlockedIn(server, "accept");
  EXPECT_EQ(GetString(acceptor, "/kind"), "left_running") << server.dump(2);
  EXPECT_EQ(Get(acceptor, "/tids"), json::array({pid})) << server.dump(2);
  EXPECT_EQ(GetString(acceptor, "/blocked_in/args/fd_kind"), "socket") << server.dump(2);
  EXPECT_TRUE(FramesContain(BlockedFrames(acceptor), "serve")) << acceptor.dump(2);

  const json reader = ThreadBlockedIn(server, "read");
  EXPECT_EQ(GetString(reader, "/blocked_in/args/fd_kind"), "pipe") << server.dump(2);
  EXPECT_TRUE(FramesContain(BlockedFrames(reader), "reader_loop")) << reader.dump(2);
  EXPECT_TRUE(FramesContain(Get(reader, "/created_by/frames"), "start_reader")) << reader.dump(2);
  EXPECT_EQ(Get(server, "/threads").size(), 2u) << server.dump(2);

  ExpectGone(pid, run);
}

TEST_F(LeakedProcessTest, TextReportNamesTheLeakedProcessAndItsCommandLine) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunThreadleak({"run", "--", "/bin/bash", "-c", "sleep 30 & sleep 0.2"});
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  EXPECT_LT(run.duration, std::chrono::seconds(15)) << run.Describe();
  EXPECT_NE(run.err.find("threadleak: leaked process "), std::string::npos) << run.Describe();
  EXPECT_NE(run.err.find(" (sleep 30) of "), std::string::npos) << run.Describe();
  EXPECT_NE(run.err.find("was never waited for"), std::string::npos) << run.Describe();
  EXPECT_NE(run.err.find("blocked in clock_nanosleep("), std::string::npos) << run.Describe();
  EXPECT_NE(run.err.find("1 leaked process (still running when the command exited)"), std::string::npos)
      << run.Describe();
}

TEST_F(LeakedProcessTest, BackgroundedSleepIsReportedAndGone) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunCommand({"/bin/bash", "-c", "sleep 30 & sleep 0.2"});
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  const json sleeper = SingleLeakedProcess(run);
  EXPECT_EQ(Get(sleeper, "/cmdline"), json::array({"sleep", "30"})) << sleeper.dump(2);
  EXPECT_TRUE(GetString(sleeper, "/exe").ends_with("/sleep")) << sleeper.dump(2);
  EXPECT_TRUE(GetString(sleeper, "/parent_exe").ends_with("/bash")) << sleeper.dump(2);
  EXPECT_FALSE(Get(sleeper, "/created_by/frames").empty()) << sleeper.dump(2);
  EXPECT_EQ(GetString(sleeper, "/threads/0/blocked_in/syscall"), "clock_nanosleep") << sleeper.dump(2);
  ExpectGone(static_cast<pid_t>(GetInt(sleeper, "/pid")), run);
}

TEST_F(LeakedProcessTest, DoubleForkedSetsidDaemonIsStillADescendant) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunCommand({"/bin/bash", "-c", "( setsid sleep 31 & ); sleep 0.2"});
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  const json daemon = SingleLeakedProcess(run);
  EXPECT_EQ(Get(daemon, "/cmdline"), json::array({"sleep", "31"})) << daemon.dump(2);
  ExpectGone(static_cast<pid_t>(GetInt(daemon, "/pid")), run);
}

TEST_F(LeakedProcessTest, FailingCommandKeepsItsExitCode) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunCommand({"/bin/bash", "-c", "sleep 30 & sleep 0.2; exit 3"});
  EXPECT_EQ(run.exit_code, 3) << run.Describe();
  const json sleeper = SingleLeakedProcess(run);
  ExpectGone(static_cast<pid_t>(GetInt(sleeper, "/pid")), run);
}

TEST_F(LeakedProcessTest, ChildStillRunningWithoutTheFlagIsALeakedProcess) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("child_outlives_parent"));
  const RunResult run = RunFixture("child_outlives_parent");
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  const json child = SingleLeakedProcess(run);
  EXPECT_EQ(GetString(child, "/threads/0/blocked_in/syscall"), "clock_nanosleep") << child.dump(2);
  EXPECT_TRUE(FramesContain(Get(child, "/created_by/frames"), "main")) << child.dump(2);
}

TEST_F(LeakedProcessTest, WaitDescendantsWaitsForAChildThatEndsByItself) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("child_outlives_parent"));
  const RunResult run = RunFixture("child_outlives_parent", {"--wait-descendants", "--timeout", "20s"});
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "child_outlives_parent"));
  EXPECT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_TRUE(Get(run.report, "/leaked_processes").empty()) << run.Describe();
  EXPECT_TRUE(Get(run.report, "/leaks").empty()) << run.Describe();
  EXPECT_GE(run.duration, std::chrono::milliseconds(250)) << "it did not wait for the child";
  // The child ended on its own, with code 0.
  const json procs = Get(run.report, "/processes");
  ASSERT_EQ(procs.size(), 2u) << run.Describe();
  EXPECT_EQ(GetInt(procs[1], "/exit_code"), 0) << run.Describe();
}

TEST_F(LeakedProcessTest, WaitDescendantsReportsTheThreadTheChildLeaked) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunCommand({"build/fixtures/child_outlives_parent", "--leak-thread"},
                                   {"--wait-descendants", "--timeout", "20s"});
  EXPECT_TRUE(Get(run.report, "/leaked_processes").empty()) << run.Describe();
  const json leak = SingleLeak(run);
  EXPECT_EQ(GetString(leak, "/kind"), "parked") << leak.dump(2);
  EXPECT_NE(GetInt(leak, "/pid"), GetInt(run.report, "/processes/0/pid")) << leak.dump(2);
  EXPECT_TRUE(FramesContain(Get(leak, "/created_by/frames"), "child_start_worker")) << leak.dump(2);
}

TEST_F(LeakedProcessTest, WaitDescendantsIsBoundedByTheTimeout) {
  SKIP_UNLESS_ROOT();
  const RunResult run =
      RunCommand({"/bin/bash", "-c", "sleep 32 & sleep 0.2"}, {"--wait-descendants", "--timeout", "1s"});
  EXPECT_EQ(run.exit_code, 124) << run.Describe();
  EXPECT_TRUE(Get(run.report, "/timed_out").get<bool>()) << run.Describe();
  EXPECT_TRUE(Get(run.report, "/leaked_processes").empty()) << run.Describe();
  bool hung_sleep = false;
  pid_t sleeper = 0;
  for (const auto &leak : Get(run.report, "/leaks"))
    if (GetString(leak, "/kind") == "hung" && GetString(leak, "/blocked_in/syscall") == "clock_nanosleep") {
      hung_sleep = true;
      sleeper = static_cast<pid_t>(GetInt(leak, "/pid"));
    }
  EXPECT_TRUE(hung_sleep) << run.Describe();
  ExpectGone(sleeper, run);
}

TEST_F(LeakedProcessTest, CtrlCStopsWaitingForDescendantsAndReportsThem) {
  SKIP_UNLESS_ROOT();
  const std::string dir = MakeTempDir();
  const std::string output = dir + "/report.json";
  const SpawnedThreadleak spawned =
      SpawnThreadleak({"run", "--format", "json", "--output", output, "--wait-descendants", "--", "/bin/bash",
                       "-c", "setsid sleep 33 & sleep 0.2"});
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  kill(spawned.pid, SIGINT);  // threadleak alone: the daemon left the command's group anyway
  RunResult run = CollectThreadleak(spawned, std::chrono::seconds(20));
  ReadReport(output, &run);
  fs::remove_all(dir);
  EXPECT_FALSE(run.guard_expired) << run.Describe();
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  const json daemon = SingleLeakedProcess(run);
  EXPECT_EQ(Get(daemon, "/cmdline"), json::array({"sleep", "33"})) << daemon.dump(2);
  ExpectGone(static_cast<pid_t>(GetInt(daemon, "/pid")), run);
}

}  // namespace
