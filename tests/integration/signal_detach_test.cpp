// Ctrl-C and SIGTERM while tracing: threadleak forwards the signal to the command,
// still writes the report, exits promptly and leaves none of its BPF programs loaded.
// Need root (BPF) and bpftool.
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

/// Names of threadleak's BPF programs (bpf/*.bpf.c; kernel names are
/// cut to 15 characters, which these fit): both variants of those that list
/// mappings with the VMA iterator (on_*) or leave them to /proc (on_*_procfs).
const std::set<std::string> kProgramNames = {"on_fork",        "on_exit",        "on_kill",
                                             "on_fork_procfs", "on_exit_procfs", "on_kill_procfs",
                                             "on_exec",        "sample_sleepers"};

/// The programs threadleak loads on this kernel with this environment: one
/// variant, chosen as capture/kernel_features chooses it.
std::set<std::string> LoadedProgramNames() {
  std::ifstream in("/sys/kernel/btf/vmlinux", std::ios::binary);
  const std::string btf{std::istreambuf_iterator<char>(in), {}};
  const char *forced = std::getenv("THREADLEAK_FORCE_FALLBACK");
  const bool vma_iter = btf.find(std::string("bpf_iter_task_vma_new") + '\0') != std::string::npos &&
                        !(forced && std::string_view(forced).find("vma-iter") != std::string_view::npos);
  if (vma_iter) return {"on_fork", "on_exit", "on_kill", "on_exec", "sample_sleepers"};
  return {"on_fork_procfs", "on_exit_procfs", "on_kill_procfs", "on_exec", "sample_sleepers"};
}

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

class SignalDetachTest : public RunTest {
 protected:
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
    // Loading BPF takes longer on a busy machine: wait for the command to start.
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    std::vector<pid_t> children = ChildrenOf(spawned.pid);
    for (int i = 0; i < 100 && children.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      children = ChildrenOf(spawned.pid);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // and to park its waiter
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
        << "5 s after the start, threadleak should have exactly one child (hang_forever)\n"
        << context;
    std::set<std::string> owned_names;
    for (const auto &[id, name] : owned) owned_names.insert(name);
    EXPECT_EQ(owned_names, LoadedProgramNames())
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
    // Interrupted, the command exits as the shell would say, and its threads
    // died with it: context, not leaks.
    EXPECT_EQ(run.exit_code, 128 + sig) << context;
    EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 0) << context;
    EXPECT_TRUE(Get(run.report, "/leaks").empty()) << context;
    ASSERT_EQ(Get(run.report, "/alive_at_crash").size(), 1u) << context;
    const json leak = Get(run.report, "/alive_at_crash/0");
    EXPECT_EQ(GetString(leak, "/kind"), "alive_at_crash") << context;
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

TEST_F(SignalDetachTest, InterruptForwardsAndDetaches) {
  SKIP_UNLESS_ROOT();
  ExpectSignalForwardedAndBpfDetached(SIGINT, "SIGINT");
}

TEST_F(SignalDetachTest, TerminateForwardsAndDetaches) {
  SKIP_UNLESS_ROOT();
  ExpectSignalForwardedAndBpfDetached(SIGTERM, "SIGTERM");
}

// A command that ignores Ctrl-C, with a descendant that left its process group
// (setsid): the second Ctrl-C kills the group, and threadleak kills the
// descendant too, since it traced it.
TEST_F(SignalDetachTest, SecondInterruptKillsDescendantsOutsideTheGroup) {
  SKIP_UNLESS_ROOT();
  const std::string dir = MakeTempDir();
  const std::string pid_file = dir + "/setsid.pid";
  const SpawnedThreadleak spawned = SpawnThreadleak(
      {"run", "--", "bash", "-c",
       "trap '' INT TERM; setsid sleep 60 & echo $! > " + pid_file + ".tmp; mv " + pid_file +
           ".tmp " + pid_file + "; wait"});
  pid_t descendant = -1;
  for (int i = 0; i < 200 && descendant <= 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    std::ifstream in(pid_file);
    long pid = -1;
    if (in >> pid) descendant = static_cast<pid_t>(pid);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  kill(spawned.pid, SIGINT);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(spawned.pid, SIGINT);
  const RunResult run = CollectThreadleak(spawned, std::chrono::seconds(20));
  fs::remove_all(dir);
  ASSERT_GT(descendant, 0) << "the command never wrote the setsid child's pid\n" << run.Describe();
  const bool gone = ProcessGone(descendant, std::chrono::seconds(2));
  if (!gone) kill(descendant, SIGKILL);
  EXPECT_FALSE(run.guard_expired) << run.Describe();
  EXPECT_TRUE(gone) << "the setsid'd sleep (pid " << descendant
                    << ") outlived a second Ctrl-C to threadleak\n" << run.Describe();
  EXPECT_EQ(run.exit_code, 128 + SIGKILL) << "bash was killed by SIGKILL\n" << run.Describe();
}

}  // namespace
