// Shared harness of the `threadleak run` integration tests (run_test.cpp,
// more_run_test.cpp): runs build/threadleak as a child with a wall-clock guard,
// collects exit code, stdout, stderr and the parsed --output JSON report, and
// offers the JSON accessors the tests assert with.
//
// The repository root is $THREADLEAK_ROOT, else the parent of the directory holding
// the test binary (build/integration_tests -> .). Every threadleak run has a hard
// wall-clock guard, so a hung tool or fixture fails one test instead of the suite.
#pragma once

#include <cctype>
#include <map>
#include <elf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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

namespace threadleak_test {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

inline constexpr int kLeakExitCode = 66;
inline constexpr auto kGuard = std::chrono::seconds(60);

inline fs::path RepoRoot() {
  if (const char *env = std::getenv("THREADLEAK_ROOT"); env != nullptr && *env != '\0')
    return env;
  return fs::read_symlink("/proc/self/exe").parent_path().parent_path();
}

/// `text` cut to its head and tail, so a verifier log does not bury the assertion.
inline std::string Abridged(const std::string &text) {
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
  long peak_rss_kib = -1;  // threadleak's peak resident set (wait4), and its waited-for children's

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

/// A started build/threadleak whose output has not been collected yet.
struct SpawnedThreadleak {
  pid_t pid = -1;  // also its process group id
  int out_fd = -1;
  int err_fd = -1;
  Clock::time_point start;
};

/// Starts `argv` (argv[0] searched in PATH when it has no '/') from the repository
/// root, in its own process group, with stdin on /dev/null, stdout and stderr on
/// pipes, `env` added to and `unset` removed from its environment.
/// CollectThreadleak() must follow.
inline SpawnedThreadleak SpawnProgram(const std::vector<std::string> &argv_in,
                                      const std::map<std::string, std::string> &env = {},
                                      const std::vector<std::string> &unset = {}) {
  const fs::path root = RepoRoot();
  std::vector<std::string> argv_storage = argv_in;
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
    for (const auto &[k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    for (const auto &k : unset) unsetenv(k.c_str());
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_pipe[1], 1) < 0 ||
        dup2(err_pipe[1], 2) < 0 || chdir(root.c_str()) != 0)
      _exit(120);
    execvp(argv[0], argv.data());
    // The test binary is single-threaded, so stdio is safe in the forked child.
    fprintf(stderr, "test harness: cannot execute %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid);
  close(out_pipe[1]);
  close(err_pipe[1]);
  return SpawnedThreadleak{pid, out_pipe[0], err_pipe[0], start};
}

/// Starts build/threadleak with `args`, as SpawnProgram does.
inline SpawnedThreadleak SpawnThreadleak(const std::vector<std::string> &args) {
  std::vector<std::string> argv{(RepoRoot() / "build/threadleak").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return SpawnProgram(argv);
}

/// Collects exit code, stdout and stderr of a spawned threadleak. Returns once it
/// has exited (or `guard` after its start, the guard killed its process group).
/// `reap_orphans`: also reap every other exited child (what threadleak left
/// behind); false when other spawned programs are still to be collected.
inline RunResult CollectThreadleak(const SpawnedThreadleak &spawned,
                                   std::chrono::milliseconds guard = kGuard,
                                   bool reap_orphans = true) {
  const pid_t pid = spawned.pid;
  const auto start = spawned.start;
  RunResult result;
  pollfd fds[2] = {{spawned.out_fd, POLLIN, 0}, {spawned.err_fd, POLLIN, 0}};
  std::string *sinks[2] = {&result.out, &result.err};
  int status = 0;
  struct rusage usage {};
  bool exited = false;
  Clock::time_point drain_until{};
  for (;;) {
    if (!exited && wait4(pid, &status, WNOHANG, &usage) == pid) {
      exited = true;
      // A traced process left behind may hold the pipes open: drain briefly only.
      drain_until = Clock::now() + std::chrono::milliseconds(200);
    }
    if (exited && (Clock::now() > drain_until || (fds[0].fd < 0 && fds[1].fd < 0))) break;
    if (!exited && Clock::now() - start > guard) {
      result.guard_expired = true;
      kill(-pid, SIGKILL);
      wait4(pid, &status, 0, &usage);
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
  result.peak_rss_kib = usage.ru_maxrss;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
  ::testing::Test::RecordProperty("threadleak_ms", static_cast<int>(result.duration.count()));
  // We are a child subreaper: reap whatever threadleak left behind as zombies.
  while (reap_orphans && waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  return result;
}

/// Runs build/threadleak with `args` from the repository root, in its own process
/// group, and collects exit code, stdout and stderr. Returns once threadleak has
/// exited (or the guard killed its process group).
inline RunResult RunThreadleak(const std::vector<std::string> &args) {
  return CollectThreadleak(SpawnThreadleak(args));
}

/// A fresh directory under /tmp for report files; the caller removes it.
inline std::string MakeTempDir() {
  char dir_template[] = "/tmp/threadleak-test-XXXXXX";
  const char *dir = mkdtemp(dir_template);
  if (dir == nullptr) std::abort();
  return dir;
}

/// Parses the JSON report at `path` into result->report (left null when the file is
/// missing or empty; invalid JSON is appended to result->err).
inline void ReadReport(const std::string &path, RunResult *result) {
  std::ifstream in(path);
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  if (!text.empty()) {
    result->report = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (result->report.is_discarded())
      result->err += "\n(test: --output is not valid JSON)\n" + text;
  }
  if (result->report.is_discarded()) result->report = nullptr;
}

/// `threadleak run --format json --output TMP [extra...] -- COMMAND...`, with the
/// report parsed into result.report.
inline RunResult RunCommand(const std::vector<std::string> &command,
                            std::vector<std::string> extra = {}) {
  const std::string dir = MakeTempDir();
  const std::string output = dir + "/report.json";
  std::vector<std::string> args{"run", "--format", "json", "--output", output};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("--");
  args.insert(args.end(), command.begin(), command.end());
  RunResult result = RunThreadleak(args);
  ReadReport(output, &result);
  fs::remove_all(dir);
  return result;
}

/// `threadleak run --format json --output TMP [extra...] -- build/fixtures/FIXTURE`,
/// with the report parsed into result.report.
inline RunResult RunFixture(const std::string &fixture, std::vector<std::string> extra = {}) {
  return RunCommand({"build/fixtures/" + fixture}, std::move(extra));
}

/// `name` found in $PATH or the sbin directories (root's tools), or empty.
inline std::string FindProgram(const std::string &name) {
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

/// The value at JSON pointer `pointer`, or null when any step of it is missing.
inline json Get(const json &j, const std::string &pointer) {
  const json::json_pointer ptr(pointer);
  return j.contains(ptr) ? j.at(ptr) : json();
}

inline std::string GetString(const json &j, const std::string &pointer) {
  const json value = Get(j, pointer);
  return value.is_string() ? value.get<std::string>() : std::string();
}

inline long GetInt(const json &j, const std::string &pointer, long fallback = -1) {
  const json value = Get(j, pointer);
  return value.is_number_integer() ? value.get<long>() : fallback;
}

inline std::string FunctionOf(const json &frame) { return GetString(frame, "/function"); }

/// True if `needle` occurs in `name` as whole identifiers: "main" matches
/// "main" and "ns::main(int)", not "__libc_start_call_main".
inline bool NameHasIdentifiers(std::string_view name, std::string_view needle) {
  auto is_ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (size_t at = name.find(needle); at != std::string_view::npos; at = name.find(needle, at + 1)) {
    const size_t end = at + needle.size();
    if ((at == 0 || !is_ident(name[at - 1])) && (end == name.size() || !is_ident(name[end])))
      return true;
  }
  return false;
}

/// True if some frame's function name holds `needle` as whole identifiers.
inline bool FramesContain(const json &frames, std::string_view needle) {
  if (!frames.is_array()) return false;
  for (const auto &frame : frames)
    if (NameHasIdentifiers(FunctionOf(frame), needle)) return true;
  return false;
}

inline json BlockedFrames(const json &leak) { return Get(leak, "/blocked_in/frames"); }

/// Names in the .dynsym of an ELF64 file: all a stripped binary can still be named by.
inline std::set<std::string> DynamicSymbols(const fs::path &path) {
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
inline void ExpectWellFormed(const RunResult &run, const std::string &fixture) {
  const json &report = run.report;
  ASSERT_TRUE(report.is_object()) << "no JSON report written\n" << run.Describe();
  EXPECT_EQ(GetString(report, "/schema"), "threadleak/1");
  EXPECT_EQ(Get(report, "/command"), json::array({"build/fixtures/" + fixture}));
  EXPECT_EQ(GetInt(report, "/lost_events"), 0) << run.Describe();
  // Without the BPF VMA iterator (THREADLEAK_FORCE_FALLBACK=vma-iter), every
  // fixture lives long enough for its /proc/PID/maps to be read.
  EXPECT_EQ(GetInt(report, "/health/unreadable_maps"), 0) << run.Describe();
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
  static void ExpectFixtureBuilt(const std::string &name) {
    ASSERT_TRUE(fs::exists(RepoRoot() / "build/fixtures" / name))
        << "build/fixtures/" << name << " is missing: run `make fixtures` first";
  }

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

}  // namespace threadleak_test

#define SKIP_UNLESS_ROOT() \
  if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs (run make test as root)"
