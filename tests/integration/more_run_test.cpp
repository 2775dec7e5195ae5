// More integration tests for `threadleak run`: leaks from a dlopen()ed library, a
// binary that exists only in another mount namespace, threadleak tracing itself,
// Ctrl-C / SIGTERM while tracing, and a C++ std::thread sleeping in a loop. Each one
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

/// `name` found in $PATH or the sbin directories (root's tools), or empty.
std::string FindProgram(const std::string &name) {
  const char *env = std::getenv("PATH");
  std::stringstream dirs(std::string(env != nullptr ? env : "") +
                         ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const fs::path path = fs::path(dir) / name;
    if (access(path.c_str(), X_OK) == 0 && !fs::is_directory(path)) return path.string();
  }
  return {};
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

/// Names of threadleak's BPF programs (bpf/*.bpf.c; kernel names are
/// cut to 15 characters, which these fit).
const std::set<std::string> kProgramNames = {"on_fork", "on_exit", "on_exec", "sample_sleepers"};

struct BpftoolResult {
  bool ok = false;
  std::string text;  // stdout and stderr
};

BpftoolResult Bpftool(const std::string &bpftool, const std::string &args) {
  const std::string command = "'" + bpftool + "' " + args + " 2>&1";
  BpftoolResult result;
  FILE *pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.text.append(buffer, n);
  result.ok = pclose(pipe) == 0;
  return result;
}

/// The loaded BPF program with id `id`: its name, "" when bpftool says there is no
/// such program, or nullopt (with bpftool's output in *error) when it cannot tell.
std::optional<std::string> ProgramName(const std::string &bpftool, long id,
                                       std::string *error = nullptr) {
  const BpftoolResult result = Bpftool(bpftool, "prog show id " + std::to_string(id));
  static const std::regex kName(R"(\bname (\S+))");
  std::smatch match;
  if (result.ok && std::regex_search(result.text, match, kName)) return match[1];
  if (!result.ok && result.text.find("No such file or directory") != std::string::npos)
    return std::string();
  if (error != nullptr) *error = result.text;
  return std::nullopt;
}

/// Ids of the BPF programs `pid` holds through its fds (program fds and link fds
/// both name a prog_id in /proc/PID/fdinfo). Other threadleak instances, e.g. of
/// engineers sharing the machine, load programs with the same names; these are
/// the ones this process owns.
std::set<long> ProgramIdsHeldBy(pid_t pid) {
  std::set<long> ids;
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fdinfo", ec)) {
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) {
      if (!line.starts_with("prog_id:")) continue;
      const long id = std::strtol(line.c_str() + 8, nullptr, 10);
      if (id > 0) ids.insert(id);
    }
  }
  return ids;
}

std::string DescribePrograms(const std::map<long, std::string> &programs) {
  std::string text;
  for (const auto &[id, name] : programs)
    text += (text.empty() ? "" : ", ") + std::to_string(id) + ":" + name;
  return text.empty() ? "(none)" : text;
}

/// Pids of the children of `pid` (/proc/PID/task/PID/children).
std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::vector<pid_t> out;
  for (long child; in >> child;) out.push_back(static_cast<pid_t>(child));
  return out;
}

/// True once `pid` no longer exists (reaping it if it was reparented to us),
/// waiting up to `patience`.
bool ProcessGone(pid_t pid, std::chrono::milliseconds patience) {
  const auto deadline = Clock::now() + patience;
  for (;;) {
    waitpid(pid, nullptr, WNOHANG);
    if (kill(pid, 0) == -1 && errno == ESRCH) return true;
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

class MoreRunTest : public RunTest {
 protected:
  static void ExpectFixtureBuilt(const std::string &name) {
    ASSERT_TRUE(fs::exists(RepoRoot() / "build/fixtures" / name))
        << "build/fixtures/" << name << " is missing: run `make fixtures` first";
  }

  /// Starts threadleak on hang_forever (no --timeout), sends `sig` to threadleak's
  /// pid only after ~700 ms, and checks that it forwards the signal to the command,
  /// writes the report, exits within 5 s and leaves none of its BPF programs loaded.
  static void ExpectSignalForwardedAndBpfDetached(int sig, const std::string &sig_name) {
    ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("hang_forever"));
    const std::string bpftool = FindProgram("bpftool");
    if (bpftool.empty()) GTEST_SKIP() << "bpftool is not installed: cannot list loaded BPF programs";

    const std::string dir = MakeTempDir();
    const std::string output = dir + "/report.json";
    const SpawnedThreadleak spawned = SpawnThreadleak(
        {"run", "--format", "json", "--output", output, "--", "build/fixtures/hang_forever"});
    std::this_thread::sleep_for(std::chrono::milliseconds(700));

    const std::vector<pid_t> children = ChildrenOf(spawned.pid);
    // threadleak's own programs, by id: the names are shared with any other
    // threadleak running on this machine.
    std::map<long, std::string> owned;
    for (long id : ProgramIdsHeldBy(spawned.pid)) {
      std::optional<std::string> name = ProgramName(bpftool, id);
      if (name && kProgramNames.contains(*name)) owned[id] = std::move(*name);
    }
    const auto signalled = Clock::now();
    kill(spawned.pid, sig);
    const auto guard = std::chrono::duration_cast<std::chrono::milliseconds>(
        signalled - spawned.start + std::chrono::seconds(5));
    RunResult run = CollectThreadleak(spawned, guard);
    const auto exit_delay =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - signalled);
    ReadReport(output, &run);
    fs::remove_all(dir);
    const std::string context = run.Describe();

    // The command threadleak started, whatever happens below, must not outlive the test.
    pid_t command_pid = children.empty() ? -1 : children.front();
    if (command_pid <= 0) command_pid = static_cast<pid_t>(GetInt(run.report, "/processes/0/pid", -1));
    const bool command_gone = command_pid <= 0 || ProcessGone(command_pid, std::chrono::seconds(1));
    if (!command_gone) {
      kill(-command_pid, SIGKILL);
      kill(command_pid, SIGKILL);
      waitpid(command_pid, nullptr, 0);
    }

    ASSERT_EQ(children.size(), 1u)
        << "700 ms after the start, threadleak should have exactly one child (hang_forever)\n"
        << context;
    std::set<std::string> owned_names;
    for (const auto &[id, name] : owned) owned_names.insert(name);
    EXPECT_EQ(owned_names, kProgramNames)
        << "while tracing, threadleak should hold all its BPF programs; it held "
        << DescribePrograms(owned);

    EXPECT_FALSE(run.guard_expired) << "threadleak did not exit within 5 s of " << sig_name << "\n"
                                    << context;
    EXPECT_LT(exit_delay, std::chrono::seconds(5)) << context;
    EXPECT_TRUE(command_gone) << "hang_forever (pid " << command_pid << ") is still alive after "
                              << sig_name << " to threadleak\n" << context;

    ASSERT_TRUE(run.report.is_object()) << "no JSON report written after " << sig_name << "\n"
                                        << context;
    EXPECT_EQ(GetString(run.report, "/schema"), "threadleak/1") << context;
    EXPECT_EQ(GetString(run.report, "/signal"), sig_name)
        << "the command should have been ended by the forwarded " << sig_name << "\n" << context;
    EXPECT_TRUE(Get(run.report, "/exit_code").is_null()) << context;
    EXPECT_EQ(Get(run.report, "/timed_out"), false) << context;
    EXPECT_EQ(GetInt(run.report, "/processes/0/pid"), command_pid) << context;
    EXPECT_EQ(GetString(run.report, "/processes/0/signal"), sig_name) << context;
    const json leak = SingleLeak(run);
    EXPECT_EQ(GetString(leak, "/kind"), "unjoined") << context;
    EXPECT_EQ(GetInt(leak, "/pid"), command_pid) << context;
    EXPECT_EQ(GetString(leak, "/state"), "blocked") << context;
    EXPECT_TRUE(FramesContain(BlockedFrames(leak), "wait_for_signal")) << context;
    EXPECT_TRUE(FramesContain(BlockedFrames(leak), "pthread_cond_wait")) << context;

    // Every program and link is released when threadleak exits; give the kernel's
    // deferred frees a moment before calling anything left loaded.
    std::map<long, std::string> still_loaded = owned;
    std::string bpftool_error;
    for (int i = 0; i < 50 && !still_loaded.empty(); ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      std::erase_if(still_loaded, [&](const auto &entry) {
        const std::optional<std::string> name = ProgramName(bpftool, entry.first, &bpftool_error);
        return name && name->empty();
      });
    }
    EXPECT_TRUE(still_loaded.empty())
        << "BPF programs of threadleak still loaded 1 s after it exited on " << sig_name << ": "
        << DescribePrograms(still_loaded) << " (it held " << DescribePrograms(owned) << ")"
        << (bpftool_error.empty() ? "" : "; bpftool said: " + bpftool_error);
  }
};

TEST_F(MoreRunTest, DlopenedLibraryLeak) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("dlopen_plugin"));
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("libleaky_plugin.so"));
  const RunResult run = RunFixture("dlopen_plugin");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "dlopen_plugin"));
  const json leak = SingleLeak(run);
  const std::string context = run.Describe();
  EXPECT_EQ(GetString(leak, "/kind"), "unjoined") << context;
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
  EXPECT_EQ(GetString(leak, "/kind"), "unjoined") << context;
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
  // must be the very thread the inner one reported.
  for (const auto &outer_leak : Get(outer.report, "/leaks")) {
    EXPECT_NE(GetInt(outer_leak, "/pid"), inner_pid)
        << "threadleak leaked a thread of its own\n" << context;
    EXPECT_EQ(GetInt(outer_leak, "/pid"), GetInt(leak, "/pid"))
        << "the outer report has a leak that is not the fixture's\n" << context;
    EXPECT_EQ(Get(outer_leak, "/tids"), Get(leak, "/tids")) << context;
  }
}

TEST_F(MoreRunTest, InterruptForwardsAndDetaches) {
  SKIP_UNLESS_ROOT();
  ExpectSignalForwardedAndBpfDetached(SIGINT, "SIGINT");
}

TEST_F(MoreRunTest, TerminateForwardsAndDetaches) {
  SKIP_UNLESS_ROOT();
  ExpectSignalForwardedAndBpfDetached(SIGTERM, "SIGTERM");
}

TEST_F(MoreRunTest, StdThreadInCppProgram) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("ticking_heartbeat"));
  const RunResult run = RunFixture("ticking_heartbeat");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "ticking_heartbeat"));
  const json leak = SingleLeak(run);
  const std::string context = run.Describe();
  EXPECT_EQ(GetString(leak, "/kind"), "unjoined") << context;
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
