// --timeout ends everything the command started, also processes that left its
// process group (setsid), and waits until they are gone.
#include "run_harness.h"

#include <fstream>

namespace {

using namespace threadleak_test;

class TimeoutDescendantsTest : public RunTest {};

TEST_F(TimeoutDescendantsTest, SetsidDescendantDiesWithTheTimedOutCommand) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("hang_forever"));
  const std::string dir = MakeTempDir();
  const std::string pid_file = dir + "/setsid.pid";
  const std::string script = "setsid /bin/sh -c 'echo $$ > " + pid_file + "; exec sleep 7.7' & "
                             "sleep 0.3; exec build/fixtures/hang_forever";
  const RunResult run = RunCommand({"/bin/bash", "-c", script}, {"--timeout", "1s"});
  std::ifstream in(pid_file);
  pid_t setsid_pid = 0;
  in >> setsid_pid;
  fs::remove_all(dir);
  ASSERT_GT(setsid_pid, 0) << "the setsid child did not start\n" << run.Describe();
  EXPECT_EQ(run.exit_code, 124) << run.Describe();
  // It was killed before threadleak exited: now at most a zombie waiting for us, its subreaper.
  waitpid(setsid_pid, nullptr, WNOHANG);
  const bool alive = kill(setsid_pid, 0) == 0;
  if (alive) kill(setsid_pid, SIGKILL);
  EXPECT_FALSE(alive) << "the setsid descendant (pid " << setsid_pid << ") outlived --timeout\n"
                      << run.Describe();
}

}  // namespace
