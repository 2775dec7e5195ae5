// `threadleak run --per-test` on real GoogleTest and Boost.Test binaries, linked
// statically and as shared libraries (tests/fixtures/testframeworks/). Each has
// three tests; only the leaking one parks a thread past its end, which is joined
// at process exit, so a plain run reports nothing and --per-test names exactly
// that test.
#include "run_harness.h"

namespace {

using namespace threadleak_test;

class PerTestTest : public RunTest {
 protected:
  /// `threadleak run --format json -o TMP [extra...] -- build/fixtures/FIXTURE`
  /// with `env` added to threadleak's environment (the command inherits it).
  static RunResult Run(const std::string &fixture, std::vector<std::string> extra,
                       const std::map<std::string, std::string> &env = {}) {
    const std::string dir = MakeTempDir();
    const std::string output = dir + "/report.json";
    std::vector<std::string> argv{(RepoRoot() / "build/threadleak").string(), "run", "--format", "json",
                                  "--output", output};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("--");
    argv.push_back("build/fixtures/" + fixture);
    RunResult result = CollectThreadleak(SpawnProgram(argv, env));
    ReadReport(output, &result);
    fs::remove_all(dir);
    return result;
  }

  /// The one leak of a three-test fixture: created by `test`, in `body`,
  /// parked in the evictor's condition-variable wait.
  static void ExpectOnlyTheEvictorLeak(const std::string &fixture, const std::string &test,
                                       const std::string &kind, const std::string &body) {
    ExpectFixtureBuilt(fixture);
    const RunResult run = Run(fixture, {"--per-test"});
    ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, fixture));
    const json leak = SingleLeak(run);
    EXPECT_EQ(GetString(leak, "/test"), test) << run.Describe();
    EXPECT_EQ(GetString(leak, "/kind"), kind) << run.Describe();
    EXPECT_TRUE(FramesContain(Get(leak, "/created_by/frames"), body)) << run.Describe();
    EXPECT_EQ(GetString(leak, "/blocked_in/syscall"), "futex") << run.Describe();
    EXPECT_TRUE(FramesContain(BlockedFrames(leak), "evictor_loop")) << run.Describe();
    // The test binary itself passed: the leak is what fails the run.
    EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  }
};

TEST_F(PerTestTest, PlainRunSeesNoLeakInTheThreeTestBinary) {
  SKIP_UNLESS_ROOT();
  ExpectFixtureBuilt("gtest_three");
  const RunResult run = Run("gtest_three", {});
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "gtest_three"));
  EXPECT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 0) << run.Describe();
}

TEST_F(PerTestTest, GoogleTestStaticNamesOnlyTheLeakingTest) {
  SKIP_UNLESS_ROOT();
  ExpectOnlyTheEvictorLeak("gtest_three", "Cache.LeaksEvictor", "outlived_test", "Cache_LeaksEvictor_Test::TestBody");
}

TEST_F(PerTestTest, GoogleTestSharedLibraryNamesOnlyTheLeakingTest) {
  SKIP_UNLESS_ROOT();
  ExpectOnlyTheEvictorLeak("gtest_three_shared", "Cache.LeaksEvictor", "outlived_test",
                           "Cache_LeaksEvictor_Test::TestBody");
}

TEST_F(PerTestTest, BoostTestSharedLibraryNamesOnlyTheLeakingCase) {
  SKIP_UNLESS_ROOT();
  ExpectOnlyTheEvictorLeak("boost_three", "cache/leaks_evictor", "outlived_test", "cache::leaks_evictor::test_method");
}

TEST_F(PerTestTest, BoostTestStaticNamesOnlyTheLeakingCase) {
  SKIP_UNLESS_ROOT();
  ExpectOnlyTheEvictorLeak("boost_three_static", "cache/leaks_evictor", "outlived_test",
                           "cache::leaks_evictor::test_method");
}

TEST_F(PerTestTest, SettleLongerThanTheRestOfTheRunForgivesTheLateJoin) {
  SKIP_UNLESS_ROOT();
  ExpectFixtureBuilt("gtest_three");
  // The evictor is joined ~0.3 s after its test ended: within a 5 s settle.
  const RunResult run = Run("gtest_three", {"--per-test", "--settle", "5s"});
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "gtest_three"));
  EXPECT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 0) << run.Describe();
}

TEST_F(PerTestTest, WithoutProbesTheTestBodyFrameNamesALeakAliveAtExit) {
  SKIP_UNLESS_ROOT();
  ExpectFixtureBuilt("gtest_three_nobounds");
  // No TestInfo::Run symbol to probe; the evictor is left parked at exit.
  const RunResult run = Run("gtest_three_nobounds", {"--per-test"}, {{"THREE_TESTS_KEEP_EVICTOR", "1"}});
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "gtest_three_nobounds"));
  const json leak = SingleLeak(run);
  EXPECT_EQ(GetString(leak, "/test"), "Cache.LeaksEvictor") << run.Describe();
  EXPECT_EQ(GetString(leak, "/kind"), "parked") << run.Describe();
  EXPECT_NE(run.err.find("no GoogleTest or Boost.Test test runner found"), std::string::npos) << run.Describe();
}

TEST_F(PerTestTest, TextReportSaysWhichTestLeaked) {
  SKIP_UNLESS_ROOT();
  ExpectFixtureBuilt("gtest_three");
  const RunResult run = RunThreadleak({"run", "--per-test", "--", "build/fixtures/gtest_three"});
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  EXPECT_NE(run.err.find("leaked by test Cache.LeaksEvictor\n"), std::string::npos) << run.Describe();
  EXPECT_NE(run.err.find("threadleak: test Cache.LeaksEvictor leaked 1 thread\n"), std::string::npos)
      << run.Describe();
  EXPECT_EQ(run.err.find("Cache.JoinsInTearDown"), std::string::npos) << run.Describe();
  EXPECT_EQ(run.err.find("Cache.FinishesWithinSettle"), std::string::npos) << run.Describe();
}

}  // namespace
