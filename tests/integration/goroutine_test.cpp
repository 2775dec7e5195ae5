// Leaked goroutines of unmodified Go binaries (issue 17): what a Go user checks in
// the report of a program that returns from main with goroutines still blocked.
// Fixtures: tests/fixtures/go/ (one module), built by the Makefile into
// build/fixtures/go/: go_leaks (the shape is argv[1]; one file per shape) as a
// plain, a stripped (-s -w), a PIE and a cgo build, and go_test_leak.test
// (`go test -c`). The expected values were checked against Go's own tracebacks
// (GO_LEAKS_HOLD=1 GOTRACEBACK=all, then kill -QUIT) on Debian's Go 1.19.8.
// Line numbers are never written here: each shape's `go` statement carries the
// comment `// GO-STATEMENT SHAPE` and the line it blocks on `// BLOCKS SHAPE`, and
// the tests read the numbers from the sources.
//
// The contract: a leaks[] entry of kind "goroutine" per (pid, go statement, wait
// reason, blocked frame), with `goroutine` {goids, status, wait_reason, waiting_ns,
// waiting_exact, start_function, blocked_frame, frames} and created_by.frames[0]
// the function holding the go statement. Runtime goroutines and the main goroutine
// of a program that returned from main are never reported. Exit code 66 when
// goroutines leak and the program exited 0. Need root (BPF).
//
// Which feature each test needs, so that they can be enabled in slices (none is
// skipped: each fails until its slice lands):
//   [exit]     goroutines found at the process's exit (allgs walked at runtime.exit)
//              with wait reason, creation site, start function, blocked frame:
//              GoroutineShapeTest.*, GoroutineTest.NegativesReportNoGoroutines,
//              GoroutineTest.TextReportNamesWaitReasonAndCreator,
//              GoroutineTest.HundredThousandGoroutinesAreOneGroup.
//   [stripped] the same without .symtab/DWARF (pclntab only; allgs and
//              waitReasonStrings found by code), and in PIE and cgo builds:
//              GoroutineVariantTest.* (needs [exit]).
//   [attach]   snapshots of a live process under `threadleak attach`, goroutines
//              as sites with a verdict: GoroutineTest.AttachToServerFindsTheLeakingHandler.
//   [per-test] goroutines attributed to the Go test that created them under
//              --per-test: GoroutineTest.GoTestBinaryPerTestNamesTheLeakingTest.
#include "run_harness.h"

#include <algorithm>
#include <tuple>

namespace {

using namespace threadleak_test;
using std::chrono::milliseconds;
using std::chrono::seconds;

const fs::path kGoSources = "tests/fixtures/go";
const std::string kGoOut = "build/fixtures/go/";

/// The number of the one line of tests/fixtures/go/FILE that carries the marker
/// comment `// MARKER` (followed by the end of the line), or -1 with a failure.
int MarkerLine(const std::string &file, const std::string &marker) {
  std::ifstream in(RepoRoot() / kGoSources / file);
  if (!in) {
    ADD_FAILURE() << "cannot read " << (kGoSources / file);
    return -1;
  }
  const std::string comment = "// " + marker;
  int found = -1, line_no = 0, matches = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (line.size() >= comment.size() && line.ends_with(comment)) {
      found = line_no;
      ++matches;
    }
  }
  if (matches != 1) {
    ADD_FAILURE() << (kGoSources / file) << ": " << matches << " lines marked `" << comment << "`";
    return -1;
  }
  return found;
}

std::string Basename(const std::string &path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// The report's leaks of kind "goroutine".
std::vector<json> GoroutineGroups(const json &report) {
  std::vector<json> groups;
  for (const auto &leak : Get(report, "/leaks"))
    if (GetString(leak, "/kind") == "goroutine") groups.push_back(leak);
  return groups;
}

/// created_by.frames[0].function: the function holding the go statement.
std::string Creator(const json &group) { return GetString(group, "/created_by/frames/0/function"); }

/// The groups created by a go statement in `function`.
std::vector<json> CreatedIn(const std::vector<json> &groups, const std::string &function) {
  std::vector<json> found;
  for (const auto &group : groups)
    if (Creator(group) == function) found.push_back(group);
  return found;
}

long TotalCount(const std::vector<json> &groups) {
  long total = 0;
  for (const auto &group : groups) total += GetInt(group, "/count", 0);
  return total;
}

std::string Summary(const std::vector<json> &groups) {
  std::string text;
  for (const auto &g : groups)
    text += "\n  " + std::to_string(GetInt(g, "/count")) + " x [" + GetString(g, "/goroutine/wait_reason") +
            "] created by " + Creator(g) + ":" + std::to_string(GetInt(g, "/created_by/frames/0/line")) +
            ", start " + GetString(g, "/goroutine/start_function/function") + ", blocked in " +
            GetString(g, "/goroutine/blocked_frame/function") + ":" +
            std::to_string(GetInt(g, "/goroutine/blocked_frame/line"));
  return text.empty() ? "(no goroutine groups)" : "goroutine groups:" + text;
}

/// One leaking shape of go_leaks, as Go 1.19.8's traceback shows it.
struct Shape {
  std::string name;     // argv[1], and the SHAPE of its markers
  std::string file;     // tests/fixtures/go/go_leaks/FILE
  std::string creator;  // the function holding the go statement
  std::string start;    // the goroutine's start function (the closure), also its blocked user frame
  long count;
  std::vector<std::string> reasons;  // the wait reason (1.19's word, or 1.20+'s)
  // The innermost frame outside runtime.* when that is a standard-library function
  // between the runtime and the user's closure (Go 1.19.8, verified); the frames
  // hold it, but blocked_frame must be the user's closure at its BLOCKS line (the
  // first frame outside the runtime and the standard library). Empty: the
  // closure calls into runtime.* directly.
  std::string stdlib_blocked;
  bool ticking = false;  // wakes every 10 ms: may be caught runnable or running at exit

  std::string Path() const { return "go_leaks/" + file; }
  int GoLine() const { return MarkerLine(Path(), "GO-STATEMENT " + name); }
  int BlockLine() const { return MarkerLine(Path(), "BLOCKS " + name); }
};

/// gtest names a failing parameter by this, not by its bytes.
void PrintTo(const Shape &shape, std::ostream *os) { *os << shape.name; }

// Verified by SIGQUIT tracebacks of build/fixtures/go/go_leaks SHAPE (Go 1.19.8):
//   recv: goids 18,19,20 [chan receive], closure -> runtime.chanrecv1
//   send: 2 [chan send] -> runtime.chansend1
//   nilchan: [chan receive (nil chan)]; ticker: [chan receive]; context: [select];
//   selectnone: [select (no cases)] (runtime.block);
//   mutex: [semacquire] in sync.runtime_SemacquireMutex (runtime/sema.go) <- sync.(*Mutex).lockSlow
//          <- sync.(*Mutex).Lock <- closure;
//   waitgroup: [semacquire] in sync.runtime_Semacquire <- sync.(*WaitGroup).Wait <- closure;
//   sleep: [sleep] in time.Sleep (runtime/time.go) <- closure;
//   pipe: [IO wait] in internal/poll.runtime_pollWait <- (*pollDesc).wait <- (*FD).Read <-
//         os.(*File).Read <- closure.
const std::vector<Shape> &Shapes() {
  static const std::vector<Shape> shapes = {
      {"recv", "recv.go", "main.leakRecv", "main.leakRecv.func1", 3, {"chan receive"}, ""},
      {"send", "send.go", "main.leakSend", "main.leakSend.func1", 2, {"chan send"}, ""},
      {"nilchan", "nilchan.go", "main.leakNilChan", "main.leakNilChan.func1", 1, {"chan receive (nil chan)"}, ""},
      {"ticker", "ticker.go", "main.leakTicker", "main.leakTicker.func1", 1, {"chan receive"}, "", true},
      {"context", "context.go", "main.leakContext", "main.leakContext.func1", 1, {"select"}, ""},
      {"selectnone", "selectnone.go", "main.leakSelectNone", "main.leakSelectNone.func1", 1,
       {"select (no cases)"}, ""},
      {"mutex", "mutex.go", "main.leakMutex", "main.leakMutex.func1", 1, {"semacquire", "sync.Mutex.Lock"},
       "sync.runtime_SemacquireMutex"},
      {"waitgroup", "waitgroup.go", "main.leakWaitGroup", "main.leakWaitGroup.func1", 1,
       {"semacquire", "sync.WaitGroup.Wait"}, "sync.runtime_Semacquire"},
      {"sleep", "sleep.go", "main.leakSleep", "main.leakSleep.func1", 1, {"sleep"}, "time.Sleep"},
      {"pipe", "pipe.go", "main.leakPipe", "main.leakPipe.func1", 1, {"IO wait"}, "internal/poll.runtime_pollWait"},
  };
  return shapes;
}

/// A FRAME has a function, an absolute file and a positive line.
void ExpectResolvedFrame(const json &frame, const std::string &what) {
  EXPECT_FALSE(FunctionOf(frame).empty()) << what << " has no function\n" << frame.dump(2);
  EXPECT_TRUE(GetString(frame, "/file").starts_with("/")) << what << ": file is not absolute\n" << frame.dump(2);
  EXPECT_GT(GetInt(frame, "/line"), 0) << what << "\n" << frame.dump(2);
}

/// goroutine.frames holds `function` at `line`.
/// `line` < 0: any line.
bool FramesHave(const json &frames, const std::string &function, long line) {
  if (!frames.is_array()) return false;
  for (const auto &frame : frames)
    if (FunctionOf(frame) == function && (line < 0 || GetInt(frame, "/line") == line)) return true;
  return false;
}

/// Everything the group of `shape` must say.
void ExpectShapeGroup(const json &group, const Shape &shape) {
  const std::string context = "shape " + shape.name + "\n" + group.dump(2);
  const int go_line = shape.GoLine(), block_line = shape.BlockLine();

  EXPECT_EQ(GetString(group, "/kind"), "goroutine") << context;
  EXPECT_EQ(GetInt(group, "/count"), shape.count) << context;
  EXPECT_GT(GetInt(group, "/pid"), 0) << context;
  EXPECT_EQ(Get(group, "/tids"), json::array()) << "goroutines are not threads\n" << context;
  EXPECT_EQ(Get(group, "/thread_names"), json::array()) << context;
  EXPECT_EQ(GetString(group, "/state"), "goroutine") << context;

  // The go statement.
  const json creator = Get(group, "/created_by/frames/0");
  ExpectResolvedFrame(creator, "created_by.frames[0]");
  EXPECT_EQ(FunctionOf(creator), shape.creator) << context;
  EXPECT_EQ(Basename(GetString(creator, "/file")), shape.file) << context;
  EXPECT_EQ(GetInt(creator, "/line"), go_line) << "the GO-STATEMENT line\n" << context;

  // goids: one per goroutine, ascending.
  const json goids = Get(group, "/goroutine/goids");
  ASSERT_TRUE(goids.is_array()) << context;
  EXPECT_EQ(static_cast<long>(goids.size()), shape.count) << context;
  for (size_t i = 0; i < goids.size(); ++i) {
    ASSERT_TRUE(goids[i].is_number_integer()) << context;
    EXPECT_GT(goids[i].get<long>(), 1) << "goid 1 is the main goroutine\n" << context;
    if (i > 0) {
      EXPECT_LT(goids[i - 1].get<long>(), goids[i].get<long>()) << "goids ascending\n" << context;
    }
  }

  EXPECT_EQ(GetString(group, "/goroutine/start_function/function"), shape.start) << context;
  EXPECT_TRUE(Get(group, "/goroutine/waiting_exact").is_boolean()) << context;
  const json waiting_ns = Get(group, "/goroutine/waiting_ns");
  EXPECT_TRUE(waiting_ns.is_null() || (waiting_ns.is_number_integer() && waiting_ns.get<long>() >= 0)) << context;

  const std::string status = GetString(group, "/goroutine/status");
  if (shape.ticking && status != "waiting") {
    // Caught between two ticks' receives: alive at exit is what makes it a leak.
    EXPECT_TRUE(status == "runnable" || status == "running") << context;
    return;
  }
  EXPECT_EQ(status, "waiting") << context;
  const std::string reason = GetString(group, "/goroutine/wait_reason");
  EXPECT_NE(std::find(shape.reasons.begin(), shape.reasons.end(), reason), shape.reasons.end())
      << "wait_reason " << reason << "\n" << context;

  // Where it blocks: the user's closure at its BLOCKS line is in the frames, the
  // innermost (gopark) is the runtime's.
  const json frames = Get(group, "/goroutine/frames");
  ASSERT_TRUE(frames.is_array() && !frames.empty()) << context;
  EXPECT_TRUE(FunctionOf(frames[0]).starts_with("runtime.")) << "innermost first: gopark\n" << context;
  EXPECT_TRUE(FramesHave(frames, shape.start, block_line)) << "no frame " << shape.start << " at the BLOCKS line "
                                                           << block_line << "\n" << context;
  const json blocked = Get(group, "/goroutine/blocked_frame");
  ASSERT_TRUE(blocked.is_object()) << context;
  EXPECT_FALSE(FunctionOf(blocked).starts_with("runtime.")) << context;
  const bool at_closure = FunctionOf(blocked) == shape.start && GetInt(blocked, "/line") == block_line &&
                          Basename(GetString(blocked, "/file")) == shape.file;
  EXPECT_TRUE(at_closure) << "blocked_frame is not " << shape.start << " at " << shape.file << ":" << block_line
                          << "\n" << context;
  if (!shape.stdlib_blocked.empty()) {
    EXPECT_TRUE(FramesHave(frames, shape.stdlib_blocked, -1))
        << "no frame " << shape.stdlib_blocked << " between the runtime and the closure\n" << context;
  }
}

/// The group of `groups` created by `shape`'s go statement, with a failure if not
/// exactly one.
json GroupOf(const std::vector<json> &groups, const Shape &shape) {
  const std::vector<json> found = CreatedIn(groups, shape.creator);
  EXPECT_EQ(found.size(), 1u) << "groups created in " << shape.creator << "; " << Summary(groups);
  return found.size() == 1 ? found[0] : json::object();
}

/// The report of a run of a Go fixture that leaks goroutines: exit 66 while the
/// program exited 0, and it got as far as its leaks.
void ExpectLeakRun(const RunResult &run) {
  ASSERT_TRUE(run.report.is_object()) << "no JSON report\n" << run.Describe();
  EXPECT_EQ(GetString(run.report, "/schema"), "threadleak/1");
  EXPECT_NE(run.out.find("started"), std::string::npos) << "the fixture did not reach its leaks\n" << run.Describe();
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  EXPECT_EQ(GetInt(run.report, "/exit_code"), 0) << "the Go program itself exited 0\n" << run.Describe();
  EXPECT_EQ(GetInt(run.report, "/lost_events"), 0) << run.Describe();
}

/// `threadleak run --format json -o TMP [extra] -- build/fixtures/go/BINARY ARGS...`.
RunResult RunGo(const std::string &binary, const std::vector<std::string> &args,
                std::vector<std::string> extra = {}) {
  std::vector<std::string> command{kGoOut + binary};
  command.insert(command.end(), args.begin(), args.end());
  return RunCommand(command, std::move(extra));
}

// Root is required, not skipped for (no GTEST_SKIP here): make test runs as root.
class GoroutineTestBase : public RunTest {
 protected:
  void SetUp() override {
    RunTest::SetUp();
    ASSERT_TRUE(IsRoot()) << "needs root to load BPF programs (run make test as root)";
    ASSERT_TRUE(fs::exists(RepoRoot() / kGoOut / "go_leaks"))
        << kGoOut << "go_leaks is missing: run `make fixtures` first (scripts/install-deps.sh installs golang-go)";
  }

};

// --- [exit] each shape on the plain build -------------------------------------------

class GoroutineShapeTest : public GoroutineTestBase, public ::testing::WithParamInterface<Shape> {};

TEST_P(GoroutineShapeTest, OneGroupWithItsWaitCreatorAndBlockedLine) {
  const Shape &shape = GetParam();
  const RunResult run = RunGo("go_leaks", {shape.name});
  ASSERT_NO_FATAL_FAILURE(ExpectLeakRun(run));
  const std::vector<json> groups = GoroutineGroups(run.report);
  ASSERT_EQ(groups.size(), 1u) << "only " << shape.name << "'s goroutines; " << Summary(groups) << "\n"
                               << run.Describe();
  // The Go runtime's threads are silenced by the default suppressions: nothing else.
  EXPECT_EQ(Get(run.report, "/leaks").size(), 1u) << run.Describe();
  ExpectShapeGroup(groups[0], shape);
  EXPECT_TRUE(GetString(groups[0], "/exe").ends_with("/go_leaks")) << groups[0].dump(2);
}

INSTANTIATE_TEST_SUITE_P(GoLeaks, GoroutineShapeTest, ::testing::ValuesIn(Shapes()),
                         [](const ::testing::TestParamInfo<Shape> &info) { return info.param.name; });

// --- [stripped] `all` on the other builds: the same groups as on the plain one ------

/// What must agree between builds, for each group: creator and its line, start
/// function, count, and (unless ticking) wait reason and blocked frame.
using GroupKey = std::tuple<std::string, long, std::string, long, std::string, std::string, long>;

std::vector<GroupKey> Keys(const std::vector<json> &groups) {
  std::vector<GroupKey> keys;
  for (const auto &g : groups) {
    const bool ticking = Creator(g) == "main.leakTicker";
    keys.emplace_back(Creator(g), GetInt(g, "/created_by/frames/0/line"),
                      GetString(g, "/goroutine/start_function/function"), GetInt(g, "/count"),
                      ticking ? "*" : GetString(g, "/goroutine/wait_reason"),
                      ticking ? "*" : GetString(g, "/goroutine/blocked_frame/function"),
                      ticking ? 0 : GetInt(g, "/goroutine/blocked_frame/line"));
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

/// `go_leaks all` on `binary`: one group per shape, each as on its own.
std::vector<json> ExpectAllShapes(const std::string &binary) {
  const RunResult run = RunGo(binary, {"all"});
  ExpectLeakRun(run);
  const std::vector<json> groups = GoroutineGroups(run.report);
  EXPECT_EQ(groups.size(), Shapes().size()) << binary << ": one group per shape; " << Summary(groups) << "\n"
                                            << run.Describe();
  for (const Shape &shape : Shapes()) {
    const json group = GroupOf(groups, shape);
    if (group.empty()) continue;
    ExpectShapeGroup(group, shape);
    EXPECT_TRUE(GetString(group, "/exe").ends_with("/" + binary)) << group.dump(2);
  }
  return groups;
}

class GoroutineVariantTest : public GoroutineTestBase, public ::testing::WithParamInterface<std::string> {
 protected:
  /// The plain build's groups for `all`, run once for the suite.
  static const std::vector<json> &PlainGroups() {
    static const std::vector<json> groups = ExpectAllShapes("go_leaks");
    return groups;
  }
};

TEST_P(GoroutineVariantTest, AllShapesGiveTheSameGroupsAsThePlainBuild) {
  const std::string binary = GetParam();
  ASSERT_TRUE(fs::exists(RepoRoot() / kGoOut / binary)) << kGoOut << binary << " is missing: run `make fixtures`";
  const std::vector<json> plain = PlainGroups();
  const std::vector<json> variant = ExpectAllShapes(binary);
  EXPECT_EQ(Keys(variant), Keys(plain)) << binary << " " << Summary(variant) << "\nplain " << Summary(plain);
}

INSTANTIATE_TEST_SUITE_P(GoLeaks, GoroutineVariantTest,
                         ::testing::Values("go_leaks_stripped", "go_leaks_pie", "go_leaks_cgo"));

// --- [exit] negatives, text, scale --------------------------------------------------

using GoroutineTest = GoroutineTestBase;

// Goroutines that all end (joined, cancelled, ticker stopped, channel closed): exit
// 0, no goroutine reported, nothing else either.
TEST_F(GoroutineTest, NegativesReportNoGoroutines) {
  for (const char *shape : {"clean", "cancelled", "stopped_ticker", "closed"}) {
    SCOPED_TRACE(shape);
    const RunResult run = RunGo("go_leaks", {shape});
    ASSERT_TRUE(run.report.is_object()) << run.Describe();
    EXPECT_NE(run.out.find("started"), std::string::npos) << run.Describe();
    EXPECT_EQ(run.exit_code, 0) << run.Describe();
    EXPECT_EQ(GetInt(run.report, "/exit_code"), 0) << run.Describe();
    EXPECT_TRUE(GoroutineGroups(run.report).empty()) << Summary(GoroutineGroups(run.report)) << "\n"
                                                     << run.Describe();
    EXPECT_TRUE(Get(run.report, "/leaks").empty()) << run.Describe();
  }
}

// A goroutine inside a blocking read(2) is [syscall], not waiting: before Go 1.21
// the runtime saves no frame pointer for it, so its stack is walked by frame
// sizes (pcsp), as Go's traceback does. Its frames reach the user's closure.
TEST_F(GoroutineTest, GoroutineInASyscallHasItsWholeStack) {
  const RunResult run = RunGo("go_leaks", {"rawsyscall"});
  ASSERT_TRUE(run.report.is_object()) << run.Describe();
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  const std::vector<json> groups = GoroutineGroups(run.report);
  ASSERT_EQ(groups.size(), 1u) << run.Describe();
  const json &g = groups[0];
  EXPECT_EQ(GetString(g, "/goroutine/status"), "syscall") << g.dump(2);
  EXPECT_EQ(GetString(g, "/goroutine/wait_reason"), "") << g.dump(2);
  EXPECT_EQ(Creator(g), "main.leakRawSyscall") << g.dump(2);
  const int block_line = MarkerLine("go_leaks/rawsyscall.go", "BLOCKS rawsyscall");
  EXPECT_EQ(GetString(g, "/goroutine/blocked_frame/function"), "main.leakRawSyscall.func1") << g.dump(2);
  EXPECT_EQ(GetInt(g, "/goroutine/blocked_frame/line"), block_line) << g.dump(2);
  const json frames = Get(g, "/goroutine/frames");
  ASSERT_TRUE(frames.is_array() && frames.size() >= 3) << g.dump(2);
  EXPECT_EQ(FunctionOf(frames[0]), "syscall.Syscall") << g.dump(2);
  EXPECT_TRUE(FramesHave(frames, "syscall.Read", -1)) << g.dump(2);
}

// --timeout: a Go program that does not end (main sleeps) is read while it is
// stopped, before it is killed: its leaked goroutines, and its main goroutine,
// which is part of the hang, not yet left at an exit (at_exit false).
TEST_F(GoroutineTest, TimeoutReadsTheHungProgramsGoroutines) {
  const RunResult run =
      RunCommand({"env", "GO_LEAKS_HOLD=1", kGoOut + "go_leaks", "recv"}, {"--timeout", "2s"});
  ASSERT_TRUE(run.report.is_object()) << run.Describe();
  EXPECT_EQ(run.exit_code, 124) << run.Describe();
  const std::vector<json> groups = GoroutineGroups(run.report);
  ASSERT_EQ(groups.size(), 2u) << Summary(groups) << "\n" << run.Describe();
  const std::vector<json> recv = CreatedIn(groups, "main.leakRecv");
  ASSERT_EQ(recv.size(), 1u) << Summary(groups);
  EXPECT_EQ(GetInt(recv[0], "/count"), 3);
  EXPECT_EQ(GetString(recv[0], "/goroutine/wait_reason"), "chan receive");
  EXPECT_FALSE(Get(recv[0], "/goroutine/at_exit").get<bool>());
  bool main_listed = false;
  for (const json &g : groups)
    main_listed = main_listed || (GetString(g, "/goroutine/start_function/function") == "runtime.main" &&
                                  GetString(g, "/goroutine/wait_reason") == "sleep");
  EXPECT_TRUE(main_listed) << "the main goroutine, asleep, is part of the hang\n" << Summary(groups);
}

// A program that runs a while is read while it runs (once a second, never
// stopped): a goroutine found in the same wait at exit has waited at least
// since the first read that saw it there.
TEST_F(GoroutineTest, ReadsWhileItRunsGiveHowLongAtLeast) {
  const RunResult run = RunCommand({"env", "GO_LEAKS_HOLD=2500ms", kGoOut + "go_leaks", "recv"});
  ASSERT_TRUE(run.report.is_object()) << run.Describe();
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  const std::vector<json> groups = GoroutineGroups(run.report);
  ASSERT_EQ(groups.size(), 1u) << Summary(groups);
  const json waiting = Get(groups[0], "/goroutine/waiting_ns");
  ASSERT_TRUE(waiting.is_number()) << groups[0].dump(2);
  EXPECT_GE(waiting.get<int64_t>(), 1'000'000'000) << "seen parked by the read at ~0.3 s and later";
  EXPECT_LT(waiting.get<int64_t>(), 3'000'000'000) << "no longer than the program ran";
  EXPECT_FALSE(Get(groups[0], "/goroutine/waiting_exact").get<bool>());
  EXPECT_TRUE(Get(groups[0], "/goroutine/at_exit").get<bool>());
}

// A program that ends every goroutine reports nothing in every build: the
// runtime's own threads are recognised also when the binary is stripped (their
// frames named from .gopclntab).
TEST_F(GoroutineTest, CleanProgramOfEveryBuildReportsNothing) {
  for (const char *binary : {"go_leaks", "go_leaks_stripped", "go_leaks_pie", "go_leaks_cgo"}) {
    const RunResult run = RunGo(binary, {"clean"});
    ASSERT_TRUE(run.report.is_object()) << binary << "\n" << run.Describe();
    EXPECT_EQ(run.exit_code, 0) << binary << "\n" << run.Describe();
    EXPECT_TRUE(Get(run.report, "/leaks").empty()) << binary << "\n" << run.report.dump(2);
  }
}

// `threadleak run --per-test -- go test ./pkg`: the go command, the compiler
// and the linker run traced too; only the test binary's leak is reported (the
// toolchain's own goroutines are a default suppression), named after its test,
// though go test deletes the binary as soon as it exits.
TEST_F(GoroutineTest, GoTestUnderRunReportsOnlyTheTestsLeak) {
  const std::string out = (RepoRoot() / kGoOut).string();
  const std::string go_test = "cd '" + (RepoRoot() / kGoSources).string() + "' && GOCACHE='" + out +
                              "go-cache' GOPATH='" + out + "go-path' GOFLAGS=-buildvcs=false exec go test -count=1 "
                              "./go_test_leak";
  const RunResult run = RunCommand({"sh", "-c", go_test}, {"--per-test"});
  ASSERT_TRUE(run.report.is_object()) << run.Describe();
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  const std::vector<json> leaks = GoroutineGroups(run.report);
  ASSERT_EQ(leaks.size(), 1u) << run.report.dump(2);
  EXPECT_EQ(GetString(leaks[0], "/test"), "TestLeaks") << leaks[0].dump(2);
  EXPECT_EQ(Creator(leaks[0]), "threadleakfixtures/go_test_leak.TestLeaks") << leaks[0].dump(2);
  // No thread leak either: the toolchain's runtime threads are recognised. On
  // kernels without the BPF VMA iterator the maps of the compiler's short
  // processes can be gone before they are read: the report then says so
  // (health.unreadable_maps), and their unnamed threads are reported.
  if (GetInt(run.report, "/health/unreadable_maps") == 0) {
    EXPECT_EQ(Get(run.report, "/leaks").size(), 1u) << run.report.dump(2);
  }
}

// The default text report (stderr) and a text file (-o x.txt) name the wait
// reason and the function holding the go statement.
TEST_F(GoroutineTest, TextReportNamesWaitReasonAndCreator) {
  const RunResult run = RunThreadleak({"run", "--", kGoOut + "go_leaks", "recv"});
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  EXPECT_NE(run.err.find("chan receive"), std::string::npos) << run.Describe();
  EXPECT_NE(run.err.find("main.leakRecv"), std::string::npos) << run.Describe();

  const std::string dir = MakeTempDir();
  const std::string text_path = dir + "/report.txt";
  const RunResult to_file = RunThreadleak({"run", "-o", text_path, "--", kGoOut + "go_leaks", "recv"});
  std::ifstream in(text_path);
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  fs::remove_all(dir);
  EXPECT_EQ(to_file.exit_code, kLeakExitCode) << to_file.Describe();
  EXPECT_NE(text.find("chan receive"), std::string::npos) << "--- report.txt ---\n" << text;
  EXPECT_NE(text.find("main.leakRecv"), std::string::npos) << "--- report.txt ---\n" << text;
}

// 100,000 goroutines on one channel receive: one group of them all, in well under
// the guard (the fixture alone takes ~1.6 s and 265 MB here).
TEST_F(GoroutineTest, HundredThousandGoroutinesAreOneGroup) {
  constexpr long kMany = 100000;
  const RunResult run = RunGo("go_leaks", {"many", std::to_string(kMany)});
  ASSERT_FALSE(run.guard_expired) << run.Describe();
  EXPECT_LT(run.duration, seconds(60)) << run.Describe();
  ASSERT_NO_FATAL_FAILURE(ExpectLeakRun(run));
  const std::vector<json> groups = GoroutineGroups(run.report);
  ASSERT_EQ(groups.size(), 1u) << Summary(groups);
  const Shape many{"many", "many.go", "main.leakMany", "main.leakMany.func1", kMany, {"chan receive"}, ""};
  ExpectShapeGroup(groups[0], many);
  const json goids = Get(groups[0], "/goroutine/goids");
  std::set<long> unique;
  for (const auto &goid : goids)
    if (goid.is_number_integer()) unique.insert(goid.get<long>());
  EXPECT_EQ(static_cast<long>(unique.size()), kMany) << "goids are distinct";
  ::testing::Test::RecordProperty("many_goroutines_ms", static_cast<int>(run.duration.count()));
}

// --- [attach] a live server -------------------------------------------------------

/// A running `go_leaks server` in its own process group, stdout on a pipe; killed
/// (group and all) when it goes out of scope.
class GoServer {
 public:
  GoServer() {
    const std::string path = (RepoRoot() / kGoOut / "go_leaks").string();
    int out_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0) std::abort();
    pid_ = fork();
    if (pid_ < 0) std::abort();
    if (pid_ == 0) {
      setpgid(0, 0);
      const int null_fd = open("/dev/null", O_RDONLY);
      if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_pipe[1], 1) < 0) _exit(120);
      execl(path.c_str(), path.c_str(), "server", static_cast<char *>(nullptr));
      _exit(127);
    }
    setpgid(pid_, pid_);
    close(out_pipe[1]);
    out_fd_ = out_pipe[0];
  }
  GoServer(const GoServer &) = delete;
  GoServer &operator=(const GoServer &) = delete;
  ~GoServer() {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    close(out_fd_);
  }

  pid_t pid() const { return pid_; }

  /// True once it printed "ready" (within `patience`).
  bool WaitReady(milliseconds patience = milliseconds(10000)) {
    const auto deadline = Clock::now() + patience;
    while (Clock::now() < deadline) {
      if (output_.find("ready\n") != std::string::npos) return true;
      pollfd fd{out_fd_, POLLIN, 0};
      if (poll(&fd, 1, 50) > 0) {
        char buffer[256];
        const ssize_t n = read(out_fd_, buffer, sizeof buffer);
        if (n <= 0) return false;
        output_.append(buffer, static_cast<size_t>(n));
      }
    }
    return false;
  }

  /// Still running: not exited, not a zombie.
  bool Running() const {
    if (waitpid(pid_, nullptr, WNOHANG) != 0) return false;
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    const std::string stat{std::istreambuf_iterator<char>(in), {}};
    const size_t paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
  }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string output_;
};

// A server leaking one receiving goroutine per request (every 100 ms) from
// handleRequest, beside a pool of 4 idle workers from startPool: the handler's
// site is leaking and its goroutines are a group of at least 10; the pool's 4
// are goroutines too, but their site is not leaking. The server keeps running.
// --min-observation 2s (the default, 30 s, would leave every site too early in 3 s).
TEST_F(GoroutineTest, AttachToServerFindsTheLeakingHandler) {
  GoServer server;
  ASSERT_TRUE(server.WaitReady()) << "go_leaks server did not print ready";
  const std::string dir = MakeTempDir();
  const std::string json_path = dir + "/report.json";
  RunResult run = RunThreadleak({"attach", "-p", std::to_string(server.pid()), "--duration", "3s", "--format",
                                 "json", "-o", json_path, "--interval", "500ms", "--threshold", "1s",
                                 "--min-observation", "2s"});
  ReadReport(json_path, &run);
  fs::remove_all(dir);
  const std::string context = run.Describe();
  ASSERT_TRUE(run.report.is_object()) << context;
  EXPECT_EQ(GetString(run.report, "/mode"), "attach") << context;
  EXPECT_EQ(run.exit_code, kLeakExitCode) << context;

  const std::vector<json> groups = GoroutineGroups(run.report);
  const std::vector<json> handler = CreatedIn(groups, "main.handleRequest");
  ASSERT_FALSE(handler.empty()) << "no goroutine group created in main.handleRequest; " << Summary(groups) << "\n"
                                << context;
  const json biggest = *std::max_element(handler.begin(), handler.end(), [](const json &a, const json &b) {
    return GetInt(a, "/count") < GetInt(b, "/count");
  });
  EXPECT_GE(GetInt(biggest, "/count"), 10) << "10 requests a second for 3 s\n" << biggest.dump(2);
  EXPECT_EQ(GetInt(biggest, "/created_by/frames/0/line"), MarkerLine("go_leaks/server.go", "GO-STATEMENT server"))
      << biggest.dump(2);
  EXPECT_EQ(GetString(biggest, "/goroutine/start_function/function"), "main.handleRequest.func1") << biggest.dump(2);
  EXPECT_EQ(GetString(biggest, "/goroutine/wait_reason"), "chan receive") << biggest.dump(2);

  // The pool: 4 goroutines, not a leaking site.
  const std::vector<json> pool = CreatedIn(groups, "main.startPool");
  EXPECT_EQ(TotalCount(pool), 4) << Summary(groups) << "\n" << context;
  for (const auto &group : pool) EXPECT_EQ(GetString(group, "/kind"), "goroutine") << group.dump(2);

  bool handler_leaking = false;
  std::string labels;
  for (const auto &site : Get(run.report, "/sites")) {
    const std::string label = GetString(site, "/label"), verdict = GetString(site, "/verdict");
    labels += "\n  " + label + ": " + verdict;
    if (label.find("handleRequest") != std::string::npos && verdict == "leaking") handler_leaking = true;
    if (label.find("startPool") != std::string::npos) {
      EXPECT_NE(verdict, "leaking") << "a fixed pool leaks nothing\n" << site.dump(2);
    }
  }
  EXPECT_TRUE(handler_leaking) << "no leaking site labelled handleRequest; sites:" << labels << "\n" << context;

  EXPECT_TRUE(server.Running()) << "the server must outlive the attach\n" << context;
}

// --- [per-test] a go test -c binary -------------------------------------------------

// Three tests, only TestLeaks leaves a goroutine (chan receive) behind: under
// --per-test, one goroutine group, attributed to TestLeaks.
TEST_F(GoroutineTest, GoTestBinaryPerTestNamesTheLeakingTest) {
  ASSERT_TRUE(fs::exists(RepoRoot() / kGoOut / "go_test_leak.test")) << "run `make fixtures`";
  const RunResult run = RunGo("go_test_leak.test", {}, {"--per-test"});
  ASSERT_TRUE(run.report.is_object()) << run.Describe();
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  EXPECT_EQ(GetInt(run.report, "/exit_code"), 0) << "the tests passed\n" << run.Describe();
  const std::vector<json> groups = GoroutineGroups(run.report);
  ASSERT_EQ(groups.size(), 1u) << Summary(groups) << "\n" << run.Describe();
  const json &group = groups[0];
  EXPECT_EQ(GetString(group, "/test"), "TestLeaks") << group.dump(2);
  EXPECT_EQ(GetInt(group, "/count"), 1) << group.dump(2);
  EXPECT_EQ(Creator(group), "threadleakfixtures/go_test_leak.TestLeaks") << group.dump(2);
  EXPECT_EQ(Basename(GetString(group, "/created_by/frames/0/file")), "leak_test.go") << group.dump(2);
  EXPECT_EQ(GetInt(group, "/created_by/frames/0/line"),
            MarkerLine("go_test_leak/leak_test.go", "GO-STATEMENT TestLeaks"))
      << group.dump(2);
  EXPECT_EQ(GetString(group, "/goroutine/start_function/function"), "threadleakfixtures/go_test_leak.TestLeaks.func1")
      << group.dump(2);
  EXPECT_EQ(GetString(group, "/goroutine/wait_reason"), "chan receive") << group.dump(2);
  EXPECT_EQ(GetInt(group, "/goroutine/blocked_frame/line"), MarkerLine("go_test_leak/leak_test.go", "BLOCKS TestLeaks"))
      << group.dump(2);
}

}  // namespace
