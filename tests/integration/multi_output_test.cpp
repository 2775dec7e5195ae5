// Several --output files in one run, each in the format its extension names,
// and the junit format as a CI system reads it: real fixtures under the real
// binary, the XML checked by xmllint against docs/junit.xsd.
#include "run_harness.h"

namespace {

using namespace threadleak_test;

class MultiOutputTest : public RunTest {
 protected:
  void SetUp() override {
    RunTest::SetUp();
    dir_ = MakeTempDir();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string &name) const { return dir_ + "/" + name; }

  /// xmllint ARGS... : its exit code and output.
  static RunResult Xmllint(std::vector<std::string> args) {
    args.insert(args.begin(), "xmllint");
    RunResult run = CollectThreadleak(SpawnProgram(args));
    if (run.exit_code == 127) run.err += "\n(xmllint is missing: install libxml2-utils, scripts/install-deps.sh)";
    return run;
  }

  static void ExpectValidJunit(const std::string &xml) {
    const RunResult lint =
        Xmllint({"--noout", "--schema", (RepoRoot() / "docs/junit.xsd").string(), xml});
    EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
  }

  /// The value of XPath `expression` in file `xml`.
  static std::string XPath(const std::string &xml, const std::string &expression) {
    RunResult run = Xmllint({"--xpath", expression, xml});
    if (!run.out.empty() && run.out.back() == '\n') run.out.pop_back();
    return run.out;
  }

  std::string dir_;
};

TEST_F(MultiOutputTest, LeakingFixtureWritesJsonAndJunitInOneRun) {
  SKIP_UNLESS_ROOT();
  const std::string json_path = Path("report.json"), xml_path = Path("leaks.xml");
  RunResult run = RunThreadleak({"run", "-o", json_path, "-o", xml_path, "--", "build/fixtures/condvar_waiter"});
  ReadReport(json_path, &run);
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "condvar_waiter"));
  const json leak = SingleLeak(run);
  EXPECT_TRUE(FramesContain(Get(leak, "/created_by/frames"), "start_heartbeat")) << run.Describe();
  EXPECT_TRUE(run.err.empty()) << "the report went to the files, not stderr\n" << run.Describe();

  ASSERT_TRUE(fs::exists(xml_path)) << run.Describe();
  ExpectValidJunit(xml_path);
  EXPECT_EQ(XPath(xml_path, "string(//testsuite/@failures)"), "1");
  EXPECT_EQ(XPath(xml_path, "count(//testcase)"), "1");
  EXPECT_EQ(XPath(xml_path, "string(//testcase/@classname)"), "condvar_waiter");
  const std::string name = XPath(xml_path, "string(//testcase/@name)");
  EXPECT_TRUE(name.starts_with("start_heartbeat: 1 thread ")) << name;
  EXPECT_EQ(XPath(xml_path, "string(//failure/@type)"), "parked");
  // The failure's text is the text report's entry: the blocking and the creation stack.
  const std::string text = XPath(xml_path, "string(//failure)");
  EXPECT_NE(text.find("was never joined"), std::string::npos) << text;
  EXPECT_NE(text.find(" in heartbeat_loop "), std::string::npos) << text;
  EXPECT_NE(text.find(" in start_heartbeat "), std::string::npos) << text;
  // Both describe the same run: the one pid.
  EXPECT_NE(text.find("==" + std::to_string(GetInt(leak, "/pid")) + "== "), std::string::npos) << text;
}

TEST_F(MultiOutputTest, CleanFixtureIsOnePassingTestcase) {
  SKIP_UNLESS_ROOT();
  const std::string xml_path = Path("leaks.xml");
  const RunResult run = RunThreadleak({"run", "-o", xml_path, "--", "build/fixtures/joined_pool"});
  EXPECT_EQ(run.exit_code, 0) << run.Describe();
  ASSERT_TRUE(fs::exists(xml_path)) << run.Describe();
  ExpectValidJunit(xml_path);
  EXPECT_EQ(XPath(xml_path, "count(//testcase)"), "1");
  EXPECT_EQ(XPath(xml_path, "string(//testcase/@name)"), "no leaked threads");
  EXPECT_EQ(XPath(xml_path, "string(//testcase/@classname)"), "joined_pool");
  EXPECT_EQ(XPath(xml_path, "count(//failure | //error)"), "0");
}

TEST_F(MultiOutputTest, UnknownExtensionIsRefusedBeforeTheCommandRuns) {
  const std::string json_path = Path("report.json"), marker = Path("ran");
  const RunResult run =
      RunThreadleak({"run", "-o", json_path, "-o", Path("leaks.log"), "--", "/bin/sh", "-c", "touch " + marker});
  EXPECT_EQ(run.exit_code, 64) << run.Describe();
  // The list of extensions is the registry's (its wording is checked in the unit tests).
  EXPECT_EQ(run.err.rfind("threadleak: error: --output " + Path("leaks.log") +
                              " has an unknown extension '.log'; with several --output, name each .txt (text), ",
                          0),
            0u)
      << run.Describe();
  EXPECT_NE(run.err.find(".xml (junit)"), std::string::npos) << run.Describe();
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.Describe();
  EXPECT_FALSE(fs::exists(marker)) << "the command ran";
  EXPECT_FALSE(fs::exists(json_path));
  EXPECT_TRUE(fs::is_empty(dir_)) << "a temporary file was left behind";
}

TEST_F(MultiOutputTest, UnwritableSecondOutputLeavesTheFirstAsItWas) {
  const std::string json_path = Path("report.json"), marker = Path("ran");
  { std::ofstream(json_path) << "older report\n"; }
  const RunResult run = RunThreadleak(
      {"run", "-o", json_path, "-o", Path("missing-dir/leaks.xml"), "--", "/bin/sh", "-c", "touch " + marker});
  EXPECT_EQ(run.exit_code, 73) << run.Describe();
  EXPECT_NE(run.err.find("cannot write --output " + Path("missing-dir/leaks.xml")), std::string::npos)
      << run.Describe();
  EXPECT_FALSE(fs::exists(marker)) << "the command ran";
  std::ifstream in(json_path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "older report\n");
  size_t files = 0;
  for (const auto &entry : fs::directory_iterator(dir_)) files += entry.is_regular_file();
  EXPECT_EQ(files, 1u) << "a temporary file was left behind";
}

}  // namespace
