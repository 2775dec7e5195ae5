// Integration tests for `threadleak run`: real fixtures (tests/fixtures/) with known
// answers, checked the way a user reads the JSON report. Need root (BPF); the error
// cases that are decided before any BPF work run without it where the tool allows.
//
// The repository root is $THREADLEAK_ROOT, else the parent of the directory holding
// this binary (build/integration_tests -> .). Every threadleak run has a hard
// wall-clock guard, so a hung tool or fixture fails one test instead of the suite.
#include <elf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr int kLeakExitCode = 66;
constexpr auto kGuard = std::chrono::seconds(60);

fs::path RepoRoot() {
  if (const char *env = std::getenv("THREADLEAK_ROOT"); env != nullptr && *env != '\0')
    return env;
  return fs::read_symlink("/proc/self/exe").parent_path().parent_path();
}

/// `text` cut to its head and tail, so a verifier log does not bury the assertion.
std::string Abridged(const std::string &text) {
  constexpr size_t kHead = 2000, kTail = 4000;
  if (text.size() <= kHead + kTail) return text;
  return text.substr(0, kHead) + "\n[... " + std::to_string(text.size() - kHead - kTail) +
         " bytes omitted ...]\n" + text.substr(text.size() - kTail);
}

struct RunResult {
  int exit_code = -1;  // 128 + signal if threadleak was killed by a signal
  std::string out;
  std::string err;
  json report;  // null unless --output was requested and parsed
  bool guard_expired = false;
  std::chrono::milliseconds duration{0};

  /// Everything a failure message needs to explain what threadleak did.
  std::string Describe() const {
    std::string text = "threadleak exit code " + std::to_string(exit_code) + " after " +
                       std::to_string(duration.count()) + " ms" +
                       (guard_expired ? " (killed by the test's wall-clock guard)" : "") +
                       "\n--- stderr ---\n" + Abridged(err);
    if (!out.empty()) text += "\n--- stdout ---\n" + out;
    if (!report.is_null()) text += "\n--- report ---\n" + report.dump(2);
    return text;
  }
};

/// Runs build/threadleak with `args` from the repository root, in its own process
/// group, and collects exit code, stdout and stderr. Returns once threadleak has
/// exited (or the guard killed its process group).
RunResult RunThreadleak(const std::vector<std::string> &args) {
  const fs::path root = RepoRoot();
  const std::string tool = (root / "build/threadleak").string();
  std::vector<std::string> argv_storage{tool};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char *> argv;
  for (auto &arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) std::abort();
  const auto start = Clock::now();
  const pid_t pid = fork();
  if (pid < 0) std::abort();
  if (pid == 0) {
    setpgid(0, 0);
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_pipe[1], 1) < 0 ||
        dup2(err_pipe[1], 2) < 0 || chdir(root.c_str()) != 0)
      _exit(120);
    execv(argv[0], argv.data());
    // The test binary is single-threaded, so stdio is safe in the forked child.
    fprintf(stderr, "test harness: cannot execute %s: %s\n", argv[0], strerror(errno));
    _exit(121);
  }
  setpgid(pid, pid);
  close(out_pipe[1]);
  close(err_pipe[1]);

  RunResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string *sinks[2] = {&result.out, &result.err};
  int status = 0;
  bool exited = false;
  Clock::time_point drain_until{};
  for (;;) {
    if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      // A traced process left behind may hold the pipes open: drain briefly only.
      drain_until = Clock::now() + std::chrono::milliseconds(200);
    }
    if (exited && (Clock::now() > drain_until || (fds[0].fd < 0 && fds[1].fd < 0))) break;
    if (!exited && Clock::now() - start > kGuard) {
      result.guard_expired = true;
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      exited = true;
      break;
    }
    if (poll(fds, 2, 50) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char buffer[4096];
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
      }
    }
  }
  for (auto &fd : fds)
    if (fd.fd >= 0) close(fd.fd);
  result.duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
  ::testing::Test::RecordProperty("threadleak_ms", static_cast<int>(result.duration.count()));
  // We are a child subreaper: reap whatever threadleak left behind as zombies.
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  return result;
}

/// `threadleak run --format json --output TMP [extra...] -- build/fixtures/FIXTURE`,
/// with the report parsed into result.report.
RunResult RunFixture(const std::string &fixture, std::vector<std::string> extra = {}) {
  char dir_template[] = "/tmp/threadleak-test-XXXXXX";
  const char *dir = mkdtemp(dir_template);
  if (dir == nullptr) std::abort();
  const std::string output = std::string(dir) + "/report.json";
  std::vector<std::string> args{"run", "--format", "json", "--output", output};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("--");
  args.push_back("build/fixtures/" + fixture);
  RunResult result = RunThreadleak(args);
  std::ifstream in(output);
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  if (!text.empty()) {
    result.report = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (result.report.is_discarded()) result.err += "\n(test: --output is not valid JSON)\n" + text;
  }
  fs::remove_all(dir);
  if (result.report.is_discarded()) result.report = nullptr;
  return result;
}

/// The value at JSON pointer `pointer`, or null when any step of it is missing.
json Get(const json &j, const std::string &pointer) {
  const json::json_pointer ptr(pointer);
  return j.contains(ptr) ? j.at(ptr) : json();
}

std::string GetString(const json &j, const std::string &pointer) {
  const json value = Get(j, pointer);
  return value.is_string() ? value.get<std::string>() : std::string();
}

long GetInt(const json &j, const std::string &pointer, long fallback = -1) {
  const json value = Get(j, pointer);
  return value.is_number_integer() ? value.get<long>() : fallback;
}

std::string FunctionOf(const json &frame) { return GetString(frame, "/function"); }

/// True if some frame's function name contains `needle`.
bool FramesContain(const json &frames, std::string_view needle) {
  if (!frames.is_array()) return false;
  for (const auto &frame : frames)
    if (FunctionOf(frame).find(needle) != std::string::npos) return true;
  return false;
}

json BlockedFrames(const json &leak) { return Get(leak, "/blocked_in/frames"); }

/// Names in the .dynsym of an ELF64 file: all a stripped binary can still be named by.
std::set<std::string> DynamicSymbols(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  const std::string image{std::istreambuf_iterator<char>(in), {}};
  std::set<std::string> names;
  if (image.size() < sizeof(Elf64_Ehdr)) return names;
  const auto *ehdr = reinterpret_cast<const Elf64_Ehdr *>(image.data());
  if (ehdr->e_shoff + size_t{ehdr->e_shnum} * sizeof(Elf64_Shdr) > image.size()) return names;
  const auto *sections = reinterpret_cast<const Elf64_Shdr *>(image.data() + ehdr->e_shoff);
  for (int i = 0; i < ehdr->e_shnum; ++i) {
    if (sections[i].sh_type != SHT_DYNSYM || sections[i].sh_link >= ehdr->e_shnum) continue;
    const Elf64_Shdr &strtab = sections[sections[i].sh_link];
    const size_t count = sections[i].sh_size / sizeof(Elf64_Sym);
    const auto *syms = reinterpret_cast<const Elf64_Sym *>(image.data() + sections[i].sh_offset);
    for (size_t s = 0; s < count; ++s)
      if (syms[s].st_name != 0 && syms[s].st_name < strtab.sh_size)
        names.insert(image.data() + strtab.sh_offset + syms[s].st_name);
  }
  return names;
}

/// Invariants every report must satisfy, whatever the fixture.
void ExpectWellFormed(const RunResult &run, const std::string &fixture) {
  const json &report = run.report;
  ASSERT_TRUE(report.is_object()) << "no JSON report written\n" << run.Describe();
  EXPECT_EQ(GetString(report, "/schema"), "threadleak/1");
  EXPECT_EQ(Get(report, "/command"), json::array({"build/fixtures/" + fixture}));
  EXPECT_EQ(GetInt(report, "/lost_events"), 0) << run.Describe();
  ASSERT_TRUE(Get(report, "/leaks").is_array()) << run.Describe();
  ASSERT_FALSE(Get(report, "/processes").empty()) << run.Describe();
  long total = 0;
  for (const auto &leak : Get(report, "/leaks")) {
    total += GetInt(leak, "/count", 0);
    EXPECT_EQ(GetInt(leak, "/count"), static_cast<long>(Get(leak, "/tids").size())) << leak.dump(2);
  }
  EXPECT_EQ(GetInt(report, "/leaked_threads"), total) << run.Describe();
}

class RunTest : public ::testing::Test {
 protected:
  // Processes threadleak leaves behind are reparented to this binary, so they can
  // be reaped and checked (PID 1 does not reap orphans in every container).
  static void SetUpTestSuite() { prctl(PR_SET_CHILD_SUBREAPER, 1); }

  void SetUp() override {
    ASSERT_TRUE(fs::exists(RepoRoot() / "build/threadleak"))
        << "build/threadleak is missing under " << RepoRoot() << ": run `make` first";
    ASSERT_TRUE(fs::exists(RepoRoot() / "build/fixtures/no_threads"))
        << "fixtures are missing: run `make fixtures` first";
  }

  static bool IsRoot() { return geteuid() == 0; }

  /// Checks that the run leaked exactly one thread and returns that leak.
  static json SingleLeak(const RunResult &run) {
    EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
    EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 1) << run.Describe();
    const json leaks = Get(run.report, "/leaks");
    EXPECT_EQ(leaks.size(), 1u) << run.Describe();
    return leaks.is_array() && !leaks.empty() ? leaks[0] : json::object();
  }

  static void ExpectNoLeaks(const std::string &fixture, int expected_exit) {
    const RunResult run = RunFixture(fixture);
    ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, fixture));
    EXPECT_EQ(run.exit_code, expected_exit) << run.Describe();
    EXPECT_EQ(GetInt(run.report, "/exit_code"), expected_exit) << run.Describe();
    EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 0) << run.Describe();
    EXPECT_TRUE(Get(run.report, "/leaks").empty()) << run.Describe();
  }
};

#define SKIP_UNLESS_ROOT() \
  if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs (run make test as root)"

TEST_F(RunTest, CondvarWaiterIsReportedWithCreatorAndBlockingCall) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunFixture("condvar_waiter");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "condvar_waiter"));
  const json leak = SingleLeak(run);
  const std::string context = run.Describe();
  EXPECT_EQ(GetString(leak, "/kind"), "unjoined") << context;
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
  EXPECT_TRUE(FramesContain(BlockedFrames(leak), "pipe_reader")) << context;
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
