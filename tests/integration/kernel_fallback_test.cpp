// Kernel-feature fallbacks: the path taken is probed at load time, said at -v,
// and can be forced with THREADLEAK_FORCE_FALLBACK; a forced fallback still
// reports the leak with both stacks symbolized. (scripts/run-tests.sh runs the
// integration suite a second time with every fallback forced.)
#include "run_harness.h"

namespace {

using namespace threadleak_test;

class KernelFallbackTest : public RunTest {
 protected:
  /// `threadleak run -v --format json --output TMP -- condvar_waiter`, with
  /// THREADLEAK_FORCE_FALLBACK set to `force` ("" = unset).
  static RunResult RunWaiter(const std::string &force) {
    const std::string dir = MakeTempDir();
    const std::string output = dir + "/report.json";
    std::map<std::string, std::string> env;
    std::vector<std::string> unset;
    if (force.empty())
      unset.push_back("THREADLEAK_FORCE_FALLBACK");
    else
      env["THREADLEAK_FORCE_FALLBACK"] = force;
    RunResult run = CollectThreadleak(SpawnProgram({(RepoRoot() / "build/threadleak").string(), "run", "-v",
                                                    "--format", "json", "--output", output, "--",
                                                    "build/fixtures/condvar_waiter"},
                                                   env, unset));
    ReadReport(output, &run);
    fs::remove_all(dir);
    return run;
  }

  /// The kernel's BTF names the VMA iterator's kfuncs (Linux >= 6.7).
  static bool KernelHasVmaIter() {
    std::ifstream in("/sys/kernel/btf/vmlinux", std::ios::binary);
    const std::string btf{std::istreambuf_iterator<char>(in), {}};
    return btf.find(std::string("bpf_iter_task_vma_new") + '\0') != std::string::npos;
  }

  static void ExpectWaiterLeakSymbolized(const RunResult &run) {
    ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, "condvar_waiter"));
    const json leak = SingleLeak(run);
    EXPECT_TRUE(FramesContain(BlockedFrames(leak), "heartbeat_loop")) << run.Describe();
    EXPECT_TRUE(FramesContain(BlockedFrames(leak), "pthread_cond_wait")) << run.Describe();
    EXPECT_TRUE(FramesContain(Get(leak, "/created_by/frames"), "start_heartbeat")) << run.Describe();
  }
};

TEST_F(KernelFallbackTest, VerboseSaysTheProbedPathForMappings) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("condvar_waiter"));
  const RunResult run = RunWaiter("");
  const std::string said = KernelHasVmaIter()
                               ? "threadleak: executable mappings listed in BPF (open-coded VMA iterator)"
                               : "threadleak: executable mappings read from /proc/PID/maps";
  EXPECT_NE(run.err.find(said), std::string::npos) << run.Describe();
  ExpectWaiterLeakSymbolized(run);
}

TEST_F(KernelFallbackTest, ForcedVmaIterFallbackReadsProcMapsAndStillSymbolizesBothStacks) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("condvar_waiter"));
  const RunResult run = RunWaiter("vma-iter");
  EXPECT_NE(run.err.find("threadleak: executable mappings read from /proc/PID/maps when an address space is "
                         "new or changed (THREADLEAK_FORCE_FALLBACK=vma-iter)"),
            std::string::npos)
      << run.Describe();
  ExpectWaiterLeakSymbolized(run);
}

TEST_F(KernelFallbackTest, UnknownFallbackNameIsAUsageErrorBeforeTheCommandRuns) {
  SKIP_UNLESS_ROOT();
  const std::string dir = MakeTempDir();
  const std::string marker = dir + "/ran";
  const RunResult run = CollectThreadleak(SpawnProgram(
      {(RepoRoot() / "build/threadleak").string(), "run", "--", "touch", marker},
      {{"THREADLEAK_FORCE_FALLBACK", "vma-iter,vma_iter"}}));
  EXPECT_EQ(run.exit_code, 64) << run.Describe();
  EXPECT_NE(run.err.find("THREADLEAK_FORCE_FALLBACK names an unknown fallback 'vma_iter'; the known one is "
                         "vma-iter"),
            std::string::npos)
      << run.Describe();
  EXPECT_FALSE(fs::exists(marker)) << run.Describe();
  fs::remove_all(dir);
}

}  // namespace
