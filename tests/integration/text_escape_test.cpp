// A target's names cannot spoof the text report: bidi controls, quotes and
// invalid UTF-8 in a thread name or an executable path come out escaped.
#include "run_harness.h"

namespace {

using namespace threadleak_test;

class TextEscapeTest : public RunTest {};

TEST_F(TextEscapeTest, HostileThreadNameAndExePathAreEscaped) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("hostile_name"));
  const std::string dir = MakeTempDir();
  const std::string exe = dir + "/evil\xe2\x80\xae" "gpj.exe";  // shows as "evil" + "exe.jpg" reversed
  fs::copy_file(RepoRoot() / "build/fixtures/hostile_name", exe);
  const RunResult run = RunThreadleak({"run", "--", exe});
  fs::remove_all(dir);
  const std::string context = run.Describe();
  EXPECT_EQ(run.exit_code, kLeakExitCode) << context;
  EXPECT_NE(run.err.find("\"a\\u202eb\\\"c\\xff\""), std::string::npos) << context;
  EXPECT_NE(run.err.find("/evil\\u202egpj.exe"), std::string::npos) << context;
  EXPECT_EQ(run.err.find("\xe2\x80\xae"), std::string::npos) << "a raw U+202E reached the terminal\n" << context;
  EXPECT_EQ(run.err.find('\xff'), std::string::npos) << "a raw invalid byte reached the terminal\n" << context;
}

}  // namespace
