// More integration tests for `threadleak run`: leaks from a dlopen()ed library, a
// binary that exists only in another mount namespace, threadleak tracing itself,
// and a C++ std::thread sleeping in a loop (Ctrl-C and SIGTERM: signal_detach_test). Each one
// asserts what a user reads in the JSON report: which thread, created where, blocked
// in what. Need root (BPF). Harness: run_harness.h.
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "run_harness.h"

namespace {

using namespace threadleak_test;

/// The first frame whose function name contains `needle`, or null.
json FindFrame(const json &frames, std::string_view needle) {
  if (!frames.is_array()) return json();
  for (const auto &frame : frames)
    if (FunctionOf(frame).find(needle) != std::string::npos) return frame;
  return json();
}

/// Runs `argv` with stdin, stdout and stderr on /dev/null; its exit code, or -1.
int RunQuietly(const std::vector<std::string> &args) {
  std::vector<std::string> storage = args;
  std::vector<char *> argv;
  for (auto &arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int null_fd = open("/dev/null", O_RDWR);
    if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(null_fd, 2) < 0)
      _exit(120);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class MoreRunTest : public RunTest {};

TEST_F(MoreRunTest, DlopenedLibraryLeak) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("dlopen_plugin"));
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("libleaky_plugin.so"));
  const RunResult run = RunFixture("dlopen_plugin");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "dlopen_plugin"));
  const json leak = SingleLeak(run);
  const std::string context = run.Describe();
  EXPECT_EQ(GetString(leak, "/kind"), "parked") << context;
  EXPECT_EQ(GetInt(leak, "/created_by/tid"), GetInt(leak, "/pid"))
      << "the main thread called plugin_start\n" << context;

  // Created by the plugin's code, which was dlopen()ed after the process started.
  const json creator = FindFrame(Get(leak, "/created_by/frames"), "plugin_start");
  ASSERT_TRUE(creator.is_object()) << "no plugin_start frame in created_by\n" << context;
  EXPECT_TRUE(GetString(creator, "/module").ends_with("libleaky_plugin.so")) << creator.dump();
  EXPECT_TRUE(GetString(creator, "/file").ends_with("libleaky_plugin.c")) << creator.dump();
  EXPECT_GT(GetInt(creator, "/line", 0), 0) << creator.dump();

  EXPECT_EQ(GetString(leak, "/state"), "blocked") << context;
  EXPECT_EQ(GetString(leak, "/blocked_in/syscall"), "futex") << context;
  EXPECT_TRUE(FramesContain(BlockedFrames(leak), "pthread_cond_wait")) << context;
  const json waiter = FindFrame(BlockedFrames(leak), "plugin_worker_wait");
  ASSERT_TRUE(waiter.is_object()) << "no plugin_worker_wait frame in blocked_in\n" << context;
  EXPECT_TRUE(GetString(waiter, "/module").ends_with("libleaky_plugin.so")) << waiter.dump();
  EXPECT_TRUE(GetString(waiter, "/file").ends_with("libleaky_plugin.c")) << waiter.dump();
  EXPECT_EQ(GetInt(run.report, "/exit_code"), 0) << context;
}

TEST_F(MoreRunTest, OtherMountNamespace) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("condvar_waiter"));
  const std::string unshare = FindProgram("unshare");
  if (unshare.empty())
    GTEST_SKIP() << "unshare (util-linux) is not installed: cannot start a mount namespace";
  if (RunQuietly({unshare, "-m", "--propagation", "private", "true"}) != 0)
    GTEST_SKIP() << "`unshare -m --propagation private true` failed: this environment does not "
                    "allow new mount namespaces";
  ASSERT_FALSE(fs::exists("/mnt/cw"))
      << "/mnt/cw exists outside the namespace: the test needs the binary to exist only inside it";

  const std::string fixture = fs::canonical(RepoRoot() / "build/fixtures/condvar_waiter").string();
  const std::string script =
      "mount -t tmpfs tl_ns /mnt && cp '" + fixture + "' /mnt/cw && /mnt/cw";
  const RunResult run =
      RunCommand({unshare, "-m", "--propagation", "private", "sh", "-c", script});
  const std::string context = run.Describe();
  ASSERT_TRUE(run.report.is_object()) << "no JSON report written\n" << context;
  EXPECT_FALSE(fs::exists("/mnt/cw")) << "the namespace's /mnt leaked into the test's namespace";
  EXPECT_EQ(GetInt(run.report, "/lost_events"), 0) << context;

  bool listed = false;
  for (const auto &process : Get(run.report, "/processes"))
    if (GetString(process, "/exe") == "/mnt/cw") listed = GetInt(process, "/exit_code") == 0;
  EXPECT_TRUE(listed) << "no process with exe /mnt/cw that exited 0\n" << context;

  const json leak = SingleLeak(run);
  EXPECT_EQ(GetString(leak, "/exe"), "/mnt/cw") << context;
  EXPECT_EQ(GetString(leak, "/kind"), "parked") << context;
  EXPECT_EQ(GetString(leak, "/state"), "blocked") << context;
  EXPECT_EQ(GetString(leak, "/blocked_in/syscall"), "futex") << context;

  // /mnt/cw exists only in the namespace (and only while it lives): its symbols can
  // only come from opening it through /proc/PID/root of the traced process.
  const std::string limitation =
      "TOOL LIMITATION: symbols of a binary that exists only in the traced process's mount "
      "namespace (/mnt/cw on a tmpfs mounted there) were not resolved through /proc/PID/root\n";
  const json creator = FindFrame(Get(leak, "/created_by/frames"), "start_heartbeat");
  EXPECT_TRUE(creator.is_object()) << limitation << context;
  EXPECT_EQ(GetString(creator, "/module"), "/mnt/cw") << limitation << context;
  EXPECT_TRUE(GetString(creator, "/file").ends_with("condvar_waiter.c")) << limitation << context;
  const json loop = FindFrame(BlockedFrames(leak), "heartbeat_loop");
  EXPECT_TRUE(loop.is_object()) << limitation << context;
  EXPECT_EQ(GetString(loop, "/module"), "/mnt/cw") << limitation << context;
  EXPECT_TRUE(FramesContain(BlockedFrames(leak), "pthread_cond_wait")) << context;
  EXPECT_EQ(GetInt(run.report, "/exit_code"), 0) << context;
}

TEST_F(MoreRunTest, ThreadleakDoesNotLeakItself) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("condvar_waiter"));
  const std::string dir = MakeTempDir();
  const std::string outer_output = dir + "/outer.json", inner_output = dir + "/inner.json";
  RunResult outer = RunThreadleak({"run", "--format", "json", "--output", outer_output, "--",
                                   "build/threadleak", "run", "--format", "json", "--output",
                                   inner_output, "--", "build/fixtures/condvar_waiter"});
  ReadReport(outer_output, &outer);
  RunResult inner;
  ReadReport(inner_output, &inner);
  fs::remove_all(dir);
  const std::string context =
      "=== outer threadleak ===\n" + outer.Describe() + "\n=== inner report ===\n" +
      (inner.report.is_null() ? std::string("(none)") : inner.report.dump(2)) + inner.err;
  ASSERT_TRUE(outer.report.is_object()) << "no outer report\n" << context;
  ASSERT_TRUE(inner.report.is_object()) << "no inner report\n" << context;
  EXPECT_EQ(GetInt(outer.report, "/lost_events"), 0) << context;
  EXPECT_EQ(GetInt(inner.report, "/lost_events"), 0) << context;

  // The inner threadleak found the fixture's leak and exited 66; the outer one
  // passes that through.
  long inner_pid = -1;
  for (const auto &process : Get(outer.report, "/processes"))
    if (GetString(process, "/exe").ends_with("build/threadleak")) {
      inner_pid = GetInt(process, "/pid");
      EXPECT_EQ(GetInt(process, "/exit_code"), kLeakExitCode) << context;
    }
  ASSERT_GT(inner_pid, 0) << "the inner threadleak is not among the outer report's processes\n"
                          << context;
  EXPECT_EQ(GetInt(outer.report, "/exit_code"), kLeakExitCode) << context;
  EXPECT_EQ(outer.exit_code, kLeakExitCode) << context;

  // Inner report (B): the condvar leak.
  EXPECT_EQ(GetInt(inner.report, "/leaked_threads"), 1) << context;
  ASSERT_EQ(Get(inner.report, "/leaks").size(), 1u) << context;
  const json leak = Get(inner.report, "/leaks/0");
  EXPECT_TRUE(FramesContain(Get(leak, "/created_by/frames"), "start_heartbeat")) << context;
  EXPECT_EQ(GetString(leak, "/blocked_in/syscall"), "futex") << context;
  EXPECT_TRUE(FramesContain(BlockedFrames(leak), "pthread_cond_wait")) << context;
  EXPECT_TRUE(FramesContain(BlockedFrames(leak), "heartbeat_loop")) << context;
  EXPECT_EQ(GetInt(inner.report, "/exit_code"), 0) << context;

  // Outer report (A): threadleak itself leaked no thread. The outer one follows
  // every descendant, so the fixture's own leak is legitimately there too, and
  // must be the very thread the inner one reported, and the only one.
  ASSERT_EQ(Get(outer.report, "/leaks").size(), 1u) << context;
  for (const auto &outer_leak : Get(outer.report, "/leaks")) {
    EXPECT_NE(GetInt(outer_leak, "/pid"), inner_pid)
        << "threadleak leaked a thread of its own\n" << context;
    EXPECT_EQ(GetInt(outer_leak, "/pid"), GetInt(leak, "/pid"))
        << "the outer report has a leak that is not the fixture's\n" << context;
    EXPECT_EQ(Get(outer_leak, "/tids"), Get(leak, "/tids")) << context;
  }
}

TEST_F(MoreRunTest, StdThreadInCppProgram) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("ticking_heartbeat"));
  const RunResult run = RunFixture("ticking_heartbeat");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "ticking_heartbeat"));
  const json leak = SingleLeak(run);
  const std::string context = run.Describe();
  EXPECT_EQ(GetString(leak, "/kind"), "ticking") << context;
  EXPECT_EQ(GetString(leak, "/wait/kind"), "sleep") << context;
  // Its 10 ms sleeps, as the sampler saw them come back (plus their wake-up latency).
  EXPECT_GE(GetInt(leak, "/wait/period_ns"), 10'000'000) << context;
  EXPECT_LT(GetInt(leak, "/wait/period_ns"), 40'000'000) << context;
  EXPECT_TRUE(FramesContain(Get(leak, "/created_by/frames"), "start_ticker")) << context;
  EXPECT_EQ(GetString(leak, "/state"), "blocked") << context;
  EXPECT_EQ(GetString(leak, "/blocked_in/syscall"), "clock_nanosleep") << context;
  EXPECT_EQ(GetString(leak, "/blocked_in/args/flags"), "0") << "a relative sleep\n" << context;
  EXPECT_TRUE(FramesContain(BlockedFrames(leak), "tick_forever")) << context;

  // libstdc++'s sleep_for passes one timespec as request and remainder, and the
  // kill that ends the sleep writes the time left into it before threadleak can
  // read it: the 10 ms asked for is gone, and the report must not pass the
  // remainder off as the timeout.
  EXPECT_TRUE(Get(leak, "/blocked_in/timeout_ns").is_null()) << context;
  EXPECT_EQ(GetString(leak, "/blocked_in/args/timeout"), "unknown") << context;
  const std::string remaining = GetString(leak, "/blocked_in/args/remaining");
  EXPECT_FALSE(remaining.empty()) << context;
  EXPECT_TRUE(remaining.ends_with("ms") || remaining.ends_with("us") || remaining.ends_with("ns"))
      << "at most the 10 ms asked for: " << remaining << "\n" << context;
}

}  // namespace
