// A 32-bit (ia32) process: its registers and syscall numbers follow another
// ABI, so decoding them with the x86_64 table would name the wrong call. The
// report keeps the leak (it is one) but says the process is 32-bit and
// unsupported instead of inventing a syscall and a stack. Needs root (BPF).
#include <string>

#include "run_harness.h"

namespace {

using namespace threadleak_test;

class Ia32Test : public RunTest {};

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
