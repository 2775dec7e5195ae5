// Killing threadleak, even with SIGKILL, takes the traced command with it and
// never leaves --output truncated: the report is renamed into place whole.
#include "run_harness.h"

#include <signal.h>

#include <fstream>
#include <thread>

namespace {

using namespace threadleak_test;

class KillTest : public RunTest {};

std::string ReadAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

/// The pids whose command line is exactly `argv` (NULs between words).
std::vector<pid_t> PidsRunning(const std::vector<std::string> &argv) {
  std::string wanted;
  for (const auto &a : argv) wanted += a + '\0';
  std::vector<pid_t> out;
  for (const auto &entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    if (ReadAll(entry.path() / "cmdline") == wanted) out.push_back(std::stoi(name));
  }
  return out;
}

TEST_F(KillTest, SigkillOfThreadleakKillsTheCommandAndKeepsTheOldOutput) {
  SKIP_UNLESS_ROOT();
  const std::string dir = MakeTempDir();
  const std::string output = dir + "/report.json";
  { std::ofstream(output) << "old report\n"; }
  const std::vector<std::string> command{"/bin/sleep", "30.25"};  // distinctive argv
  std::vector<std::string> args{"run", "--format", "json", "--output", output, "--"};
  args.insert(args.end(), command.begin(), command.end());
  const SpawnedThreadleak spawned = SpawnThreadleak(args);
  std::vector<pid_t> sleeping;
  for (int i = 0; i < 200 && sleeping.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    sleeping = PidsRunning(command);
  }
  ASSERT_EQ(sleeping.size(), 1u) << "the traced sleep did not start within 5 s";
  kill(spawned.pid, SIGKILL);
  const RunResult run = CollectThreadleak(spawned, std::chrono::seconds(10));
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    waitpid(sleeping[0], nullptr, WNOHANG);  // reparented to us, the subreaper
    gone = PidsRunning(command).empty();
  }
  if (!gone) kill(sleeping[0], SIGKILL);
  EXPECT_TRUE(gone) << "the traced command outlived a SIGKILLed threadleak by 1 s\n" << run.Describe();
  EXPECT_EQ(ReadAll(output), "old report\n") << "--output was touched before the report was complete";
  fs::remove_all(dir);
}

TEST_F(KillTest, CompleteRunReplacesTheOutputAndLeavesNoTemporaryFile) {
  SKIP_UNLESS_ROOT();
  const std::string dir = MakeTempDir();
  const std::string output = dir + "/report.json";
  { std::ofstream(output) << "old report\n"; }
  RunResult run = RunThreadleak({"run", "--format", "json", "--output", output, "--", "build/fixtures/no_threads"});
  ReadReport(output, &run);
  EXPECT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(GetString(run.report, "/schema"), "threadleak/1") << run.Describe();
  size_t files = 0;
  for (const auto &entry : fs::directory_iterator(dir)) files += entry.path().filename() == "report.json" ? 0 : 1;
  EXPECT_EQ(files, 0u) << "a temporary file was left beside --output";
  fs::remove_all(dir);
}

TEST_F(KillTest, OutputIntoAMissingDirectoryFailsBeforeTheCommandRuns) {
  const RunResult run = RunThreadleak({"run", "--output", "/nonexistent-dir/report.json", "--", "true"});
  EXPECT_EQ(run.exit_code, 73) << run.Describe();
  EXPECT_NE(run.err.find("cannot write --output /nonexistent-dir/report.json: No such file or directory"),
            std::string::npos) << run.Describe();
}

}  // namespace
