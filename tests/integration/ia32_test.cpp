// A 32-bit (ia32) process: its registers and syscall numbers follow another
// ABI, so decoding them with the x86_64 table would name the wrong call. The
// report keeps the leak (it is one) but says the process is 32-bit and
// unsupported instead of inventing a syscall and a stack. Needs root (BPF).
#include <string>

#include "run_harness.h"

namespace {

using namespace threadleak_test;

/// Kernels built without CONFIG_IA32_EMULATION (or booted with
/// ia32_emulation=0) refuse to exec 32-bit programs: ENOEXEC.
bool KernelRuns32BitPrograms() {
  const fs::path fixture = RepoRoot() / "build/fixtures/ia32_leak";
  const pid_t pid = fork();
  if (pid == 0) {
    const int null_fd = open("/dev/null", O_WRONLY);
    dup2(null_fd, 1);
    dup2(null_fd, 2);
    // The fixture parks forever once started; an exec failure exits 126 at once.
    execl(fixture.c_str(), fixture.c_str(), static_cast<char *>(nullptr));
    _exit(errno == ENOEXEC ? 126 : 127);
  }
  int status = 0;
  for (int i = 0; i < 50; i++) {
    if (waitpid(pid, &status, WNOHANG) == pid) return !(WIFEXITED(status) && WEXITSTATUS(status) == 126);
    usleep(10000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return true;
}

class Ia32Test : public RunTest {
 protected:
  void SetUp() override {
    static const bool runs = KernelRuns32BitPrograms();
    if (!runs) GTEST_SKIP() << "this kernel cannot run 32-bit programs (no IA32 emulation)";
  }
};

TEST_F(Ia32Test, LeakedThreadOfA32BitProcessIsSaidToBeUnsupportedNotMisdecoded) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunFixture("ia32_leak");
  const std::string context = run.Describe();
  ASSERT_EQ(run.exit_code, 66) << context;
  const json leak = SingleLeak(run);
  EXPECT_EQ(GetString(leak, "/kind"), "unjoined") << context;
  EXPECT_EQ(GetString(leak, "/state"), "ia32") << context;
  EXPECT_TRUE(Get(leak, "/blocked_in").is_null())
      << "ia32 syscall 29 (pause) must not be shown as x86_64 29 (shmget)\n" << context;
  EXPECT_TRUE(Get(leak, "/running_frames").empty()) << context;
  EXPECT_TRUE(Get(leak, "/created_by/frames").empty()) << context;
}

TEST_F(Ia32Test, TextReportSays32BitProcessesAreNotSupported) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunThreadleak({"run", "--", "build/fixtures/ia32_leak"});
  EXPECT_EQ(run.exit_code, 66) << run.Describe();
  EXPECT_NE(run.err.find("32-bit (ia32) code: 32-bit processes are not supported"), std::string::npos)
      << run.Describe();
  EXPECT_EQ(run.err.find("shmget"), std::string::npos) << run.Describe();
  EXPECT_EQ(run.err.find("could not be copied"), std::string::npos)
      << "an ia32 stack is not copied, so no copy failed\n" << run.Describe();
}

TEST_F(Ia32Test, HungThreadsOfA32BitProcessReadFromProcAreNotMisdecoded) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunCommand({"build/fixtures/ia32_leak", "hang"}, {"--timeout", "500ms"});
  const std::string context = run.Describe();
  ASSERT_EQ(run.exit_code, 124) << context;
  const json leaks = Get(run.report, "/leaks");
  ASSERT_TRUE(leaks.is_array() && !leaks.empty()) << context;
  size_t threads = 0;
  for (const json &leak : leaks) {
    EXPECT_EQ(GetString(leak, "/kind"), "hung") << context;
    EXPECT_EQ(GetString(leak, "/state"), "ia32") << context;
    EXPECT_TRUE(Get(leak, "/blocked_in").is_null()) << context;
    threads += static_cast<size_t>(GetInt(leak, "/count", 0));
  }
  EXPECT_EQ(threads, 2u) << "the main thread and the parked one\n" << context;
}

}  // namespace
