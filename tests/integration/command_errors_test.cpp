// A command that cannot run gets the shell's exit code and a message naming
// the real cause.
#include "run_harness.h"

#include <fstream>

namespace {

using namespace threadleak_test;

class CommandErrorsTest : public RunTest {};

TEST_F(CommandErrorsTest, ScriptWithAMissingInterpreterNamesTheInterpreter) {
  const std::string dir = MakeTempDir();
  const std::string script = dir + "/script.sh";
  { std::ofstream(script) << "#!/nope/bin/sh -e\necho hi\n"; }
  fs::permissions(script, fs::perms::owner_all);
  const RunResult run = RunThreadleak({"run", "--", script});
  fs::remove_all(dir);
  EXPECT_EQ(run.exit_code, 127) << run.Describe();
  EXPECT_NE(run.err.find("interpreter /nope/bin/sh of " + script + " not found (fix its #! line)"),
            std::string::npos) << run.Describe();
}

TEST_F(CommandErrorsTest, DirectoryIsNotExecutable) {
  const std::string dir = MakeTempDir();
  const RunResult run = RunThreadleak({"run", "--", dir});
  fs::remove_all(dir);
  EXPECT_EQ(run.exit_code, 126) << run.Describe();
  EXPECT_NE(run.err.find("command is a directory: " + dir), std::string::npos) << run.Describe();
}

}  // namespace
