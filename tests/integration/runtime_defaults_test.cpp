// Real language runtimes under `threadleak run` with the default suppressions:
// a clean program of each reports nothing (and, with --no-default-suppressions,
// the runtime's threads that the defaults silenced, the same count), and a
// program with one deliberate leak reports exactly that one. The runtimes are
// Debian's (scripts/install-deps.sh); the programs are tests/fixtures/runtimes/*,
// compiled here into build/fixtures/runtimes/ (javac, go build, erlc).
#include "run_harness.h"

namespace {

using namespace threadleak_test;

const fs::path kSources = "tests/fixtures/runtimes";

fs::path OutDir() { return RepoRoot() / "build/fixtures/runtimes"; }

/// Runs `command` (a shell line, from the repository root); its output goes to
/// `log`. Returns its exit status.
int Shell(const std::string &command, const fs::path &log) {
  const std::string line = "cd '" + RepoRoot().string() + "' && (" + command + ") >'" + log.string() + "' 2>&1";
  return std::system(line.c_str());
}

std::string ReadAll(const fs::path &path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

class RuntimeDefaultsTest : public RunTest {
 protected:
  /// Compiles the fixtures that need a compiler once for the suite; a failure
  /// is kept and reported by the tests that need that runtime.
  static void SetUpTestSuite() {
    RunTest::SetUpTestSuite();
    fs::create_directories(OutDir());
    const std::string out = OutDir().string();
    // go build as root in a fresh machine: its caches in build/, no VCS stamping.
    const std::string go_env = "GOCACHE='" + out + "/go-cache' GOPATH='" + out + "/go-path' GOFLAGS=-buildvcs=false";
    const std::vector<std::pair<std::string, std::string>> builds = {
        {"java", "javac -d '" + out + "' " + (kSources / "CleanExecutor.java").string() + " " +
                     (kSources / "QueueTakeLeak.java").string()},
        {"go_clean", go_env + " go build -o '" + out + "/go_clean' " + (kSources / "go_clean.go").string()},
        {"go_cgo_leak", go_env + " go build -o '" + out + "/go_cgo_leak' " + (kSources / "go_cgo_leak.go").string()},
        {"erlang", "erlc -o '" + out + "' " + (kSources / "clean.erl").string()},
    };
    for (const auto &[name, command] : builds) {
      const fs::path log = OutDir() / (name + ".log");
      if (Shell(command, log) != 0) build_errors()[name] = command + "\n" + ReadAll(log);
    }
  }

  static std::map<std::string, std::string> &build_errors() {
    static std::map<std::string, std::string> errors;
    return errors;
  }

  static void ExpectBuilt(const std::string &name) {
    ASSERT_EQ(build_errors().count(name), 0u)
        << "could not build the " << name << " fixture (scripts/install-deps.sh installs the runtimes):\n"
        << build_errors()[name];
  }

  static void ExpectInstalled(const std::string &program) {
    ASSERT_FALSE(FindProgram(program).empty())
        << program << " is missing: run scripts/install-deps.sh";
  }

  /// Sum of the counts in the report's `suppressed` list whose source is "default".
  static long DefaultSuppressed(const json &report) {
    long n = 0;
    for (const auto &entry : Get(report, "/suppressed"))
      if (GetString(entry, "/source") == "default") n += GetInt(entry, "/count", 0);
    return n;
  }

  /// `command` reports no leak by default, and the threads the defaults silenced
  /// are exactly the leaks --no-default-suppressions reports (at least one).
  static void ExpectCleanByDefault(const std::vector<std::string> &command) {
    const RunResult run = RunCommand(command);
    ASSERT_TRUE(run.report.is_object()) << run.Describe();
    EXPECT_EQ(run.exit_code, 0) << run.Describe();
    EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 0) << run.Describe();
    EXPECT_EQ(GetInt(run.report, "/lost_events"), 0) << run.Describe();
    const long silenced = DefaultSuppressed(run.report);
    EXPECT_GT(silenced, 0) << "the runtime left no thread to silence\n" << run.Describe();

    const RunResult raw = RunCommand(command, {"--no-default-suppressions"});
    EXPECT_EQ(raw.exit_code, kLeakExitCode) << raw.Describe();
    EXPECT_GT(GetInt(raw.report, "/leaked_threads"), 0) << raw.Describe();
    EXPECT_TRUE(Get(raw.report, "/suppressed").empty()) << raw.Describe();
    ::testing::Test::RecordProperty("silenced_by_default", static_cast<int>(silenced));
    ::testing::Test::RecordProperty("reported_without_defaults",
                                    static_cast<int>(GetInt(raw.report, "/leaked_threads")));
  }

  /// `command` reports exactly one leak by default; returns it.
  static json ExpectOnlyLeak(const std::vector<std::string> &command) {
    const RunResult run = RunCommand(command);
    const json leak = SingleLeak(run);
    EXPECT_EQ(GetInt(leak, "/count"), 1) << run.Describe();
    return leak;
  }
};

TEST_F(RuntimeDefaultsTest, JavaCleanExecutorReportsNothing) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectInstalled("java"));
  ASSERT_NO_FATAL_FAILURE(ExpectBuilt("java"));
  ExpectCleanByDefault({"java", "-cp", OutDir().string(), "CleanExecutor"});
}

TEST_F(RuntimeDefaultsTest, JavaVersionReportsNothing) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectInstalled("java"));
  ExpectCleanByDefault({"java", "-version"});
}

// A Java application thread is started from Java code (JVM_StartThread) like the
// JDK's own daemons: it must stay reportable while they are silenced.
TEST_F(RuntimeDefaultsTest, JavaApplicationThreadBlockedInQueueTakeIsTheOnlyLeak) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectInstalled("java"));
  ASSERT_NO_FATAL_FAILURE(ExpectBuilt("java"));
  const json leak = ExpectOnlyLeak({"java", "-cp", OutDir().string(), "QueueTakeLeak"});
  EXPECT_EQ(GetString(leak, "/comm"), "queue-consumer") << leak.dump(2);
  EXPECT_TRUE(FramesContain(BlockedFrames(leak), "Unsafe_Park")) << leak.dump(2);  // LockSupport.park
  EXPECT_TRUE(FramesContain(Get(leak, "/created_by/frames"), "JVM_StartThread")) << leak.dump(2);
}

// Go: the runtime's Ms (idle ones parked in runtime.futex, sysmon) are all that is left.
TEST_F(RuntimeDefaultsTest, GoProgramWithOnlyRuntimeThreadsLeftReportsNothing) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectBuilt("go_clean"));
  ExpectCleanByDefault({(OutDir() / "go_clean").string()});
}

// cgo: the runtime starts its Ms through runtime/cgo; a C thread of the program's own stays.
TEST_F(RuntimeDefaultsTest, GoCgoThreadNobodyJoinsIsTheOnlyLeak) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectBuilt("go_cgo_leak"));
  const json leak = ExpectOnlyLeak({(OutDir() / "go_cgo_leak").string()});
  EXPECT_TRUE(FramesContain(BlockedFrames(leak), "park_forever")) << leak.dump(2);
  EXPECT_TRUE(FramesContain(Get(leak, "/created_by/frames"), "start_c_leak")) << leak.dump(2);
}

TEST_F(RuntimeDefaultsTest, OpenMpParallelRegionThenExitReportsNothing) {
  SKIP_UNLESS_ROOT();
  ExpectFixtureBuilt("openmp_pool");
  ExpectCleanByDefault({"build/fixtures/openmp_pool"});
}

TEST_F(RuntimeDefaultsTest, ErlangProgramThatHaltsReportsNothing) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectInstalled("erl"));
  ASSERT_NO_FATAL_FAILURE(ExpectBuilt("erlang"));
  ExpectCleanByDefault({"erl", "-noshell", "-pa", OutDir().string(), "-s", "clean", "main"});
}

TEST_F(RuntimeDefaultsTest, RubyProgramThatJoinsItsThreadsReportsNothing) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectInstalled("ruby"));
  ExpectCleanByDefault({"ruby", (kSources / "clean.rb").string()});
}

TEST_F(RuntimeDefaultsTest, RubyThreadBlockedInQueuePopAtExitBangIsTheOnlyLeak) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectInstalled("ruby"));
  const json leak = ExpectOnlyLeak({"ruby", (kSources / "queue_pop_leak.rb").string()});
  EXPECT_TRUE(FramesContain(BlockedFrames(leak), "rb_native_cond_wait")) << leak.dump(2);
}

TEST_F(RuntimeDefaultsTest, NodeProgramThatFinishesReportsNothing) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectInstalled("node"));
  ExpectCleanByDefault({"node", (kSources / "clean.js").string()});
}

// No rule covers Python: a daemon thread nobody stops is a leak.
TEST_F(RuntimeDefaultsTest, PythonDaemonThreadNobodyStopsIsTheOnlyLeak) {
  SKIP_UNLESS_ROOT();
  ASSERT_TRUE(fs::exists("/usr/bin/python3")) << "python3 is missing";
  const json leak = ExpectOnlyLeak({"/usr/bin/python3", (kSources / "daemon_leak.py").string()});
  EXPECT_TRUE(FramesContain(Get(leak, "/created_by/frames"), "PyThread_start_new_thread")) << leak.dump(2);
}

// glibc's SIGEV_THREAD timer helper waits for timer signals until exit.
TEST_F(RuntimeDefaultsTest, GlibcTimerHelperThreadIsSilenced) {
  SKIP_UNLESS_ROOT();
  ExpectFixtureBuilt("sigev_thread_timer");
  ExpectCleanByDefault({"build/fixtures/sigev_thread_timer"});
}

// A library's pool that is never joined is still found: no default covers libzmq.
TEST_F(RuntimeDefaultsTest, LibraryPoolNeverJoinedIsStillReported) {
  SKIP_UNLESS_ROOT();
  ExpectFixtureBuilt("zmq_context_leak");
  const RunResult run = RunFixture("zmq_context_leak");
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  EXPECT_GE(GetInt(run.report, "/leaked_threads"), 2) << run.Describe();
}

}  // namespace
