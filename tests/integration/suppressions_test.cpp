// Suppression flags and files under `threadleak run`: a rule silences exactly
// the matching leak, the report says how many threads each rule silenced, and
// a bad rule line is one error naming FILE:LINE, exit 64.
#include "run_harness.h"

namespace {

using namespace threadleak_test;

class SuppressionsTest : public RunTest {
 protected:
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  /// A suppressions file holding `text`, removed after the test.
  std::string File(const std::string &text) {
    if (dir_.empty()) dir_ = MakeTempDir();
    const std::string path = dir_ + "/rules.supp";
    std::ofstream(path) << text;
    return path;
  }

  std::string dir_;
};

/// The report's `suppressed` entry for `rule`, or null.
json SuppressedEntry(const json &report, const std::string &rule) {
  for (const auto &entry : Get(report, "/suppressed"))
    if (GetString(entry, "/rule") == rule) return entry;
  return json();
}

TEST_F(SuppressionsTest, FileRuleSilencesExactlyTheMatchingLeakAndCountsIt) {
  SKIP_UNLESS_ROOT();
  // condvar_waiter leaks one thread (heartbeat_loop, created by start_heartbeat).
  const std::string path = File("# the heartbeat is ours, and known\n\nignore-created-by start_heartbeat\n");
  const RunResult raw = RunFixture("condvar_waiter");
  ASSERT_EQ(raw.exit_code, kLeakExitCode) << raw.Describe();
  ASSERT_EQ(GetInt(raw.report, "/leaked_threads"), 1) << raw.Describe();

  const RunResult run = RunFixture("condvar_waiter", {"--suppressions", path});
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "condvar_waiter"));
  EXPECT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 0) << run.Describe();
  const json entry = SuppressedEntry(run.report, "ignore-created-by start_heartbeat");
  EXPECT_EQ(GetString(entry, "/source"), path + ":3") << run.Describe();
  EXPECT_EQ(GetInt(entry, "/count"), 1) << run.Describe();
}

TEST_F(SuppressionsTest, RuleThatMatchesNothingLeavesTheLeakAndSaysZero) {
  SKIP_UNLESS_ROOT();
  const std::string path = File("ignore-comm no-thread-has-this-name\n");
  const RunResult run = RunFixture("condvar_waiter", {"--suppressions", path});
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "condvar_waiter"));
  const json leak = SingleLeak(run);
  EXPECT_TRUE(FramesContain(Get(leak, "/created_by/frames"), "start_heartbeat")) << run.Describe();
  EXPECT_EQ(GetInt(SuppressedEntry(run.report, "ignore-comm no-thread-has-this-name"), "/count"), 0)
      << run.Describe();
}

TEST_F(SuppressionsTest, EachFlagSilencesTheLeakItMatches) {
  SKIP_UNLESS_ROOT();
  for (const std::vector<std::string> &flag : std::vector<std::vector<std::string>>{
           {"--ignore", "heartbeat_loop"},
           {"--ignore-top", "heartbeat_loop"},
           {"--ignore-created-by", "start_heartbeat"},
           {"--ignore-comm", "condvar_wait*"}}) {
    const RunResult run = RunFixture("condvar_waiter", flag);
    EXPECT_EQ(run.exit_code, 0) << flag[0] << "\n" << run.Describe();
    EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 0) << flag[0] << "\n" << run.Describe();
    const json entry = SuppressedEntry(run.report, flag[0].substr(2) + " " + flag[1]);
    EXPECT_EQ(GetString(entry, "/source"), "flag") << run.Describe();
    EXPECT_EQ(GetInt(entry, "/count"), 1) << flag[0] << "\n" << run.Describe();
  }
}

TEST_F(SuppressionsTest, TextReportSaysWhatWasSuppressedUnderTheSummary) {
  SKIP_UNLESS_ROOT();
  const RunResult run =
      RunThreadleak({"run", "--ignore-created-by", "start_heartbeat", "--", "build/fixtures/condvar_waiter"});
  EXPECT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_NE(run.err.find("threadleak: no leaked threads (command exited with code 0)\n"
                         "threadleak: suppressed 1 thread by ignore-created-by start_heartbeat (flag)\n"),
            std::string::npos)
      << run.Describe();
}

TEST_F(SuppressionsTest, BadLineIsAnErrorNamingFileAndLine) {
  const std::string path = File("ignore-comm fine\n# comment\nignore-thred worker\n");
  const RunResult run = RunThreadleak({"run", "--suppressions", path, "--", "build/fixtures/no_threads"});
  EXPECT_EQ(run.exit_code, 64) << run.Describe();
  EXPECT_EQ(run.err, "threadleak: error: --suppressions " + path +
                         ":3: unknown keyword 'ignore-thred'; use ignore, ignore-top, ignore-comm, "
                         "ignore-created-by or unless-created-by\n")
      << run.Describe();
}

TEST_F(SuppressionsTest, MissingFileIsAnError) {
  const RunResult run =
      RunThreadleak({"run", "--suppressions", "/nonexistent/rules.supp", "--", "build/fixtures/no_threads"});
  EXPECT_EQ(run.exit_code, 64) << run.Describe();
  EXPECT_EQ(run.err,
            "threadleak: error: --suppressions '/nonexistent/rules.supp' cannot be read: No such file or "
            "directory\n")
      << run.Describe();
}

TEST_F(SuppressionsTest, PrintedRulesAreAValidSuppressionsFile) {
  const RunResult printed = RunThreadleak({"run", "--print-suppressions"});
  ASSERT_EQ(printed.exit_code, 0) << printed.Describe();
  EXPECT_NE(printed.out.find("ignore-created-by libjvm.so unless-created-by JVM_StartThread\n"),
            std::string::npos)
      << printed.out;
  const std::string path = File(printed.out);
  const RunResult again =
      RunThreadleak({"run", "--no-default-suppressions", "--suppressions", path, "--print-suppressions"});
  ASSERT_EQ(again.exit_code, 0) << again.Describe();
  // The same rules, now from the file.
  size_t rules = 0;
  std::stringstream lines(printed.out);
  for (std::string line; std::getline(lines, line);)
    if (!line.starts_with("#")) {
      rules++;
      EXPECT_NE(again.out.find("\n" + line + "\n"), std::string::npos) << line << "\n" << again.out;
    }
  EXPECT_GT(rules, 5u);
}

}  // namespace
