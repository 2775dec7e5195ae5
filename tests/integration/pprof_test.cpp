// `--format pprof` read back by go tool pprof (Debian golang-go), as a user
// would: -top and -traces name the function that created a fixture's leaked
// threads, with their count; the mapping carries the fixture's build-id; the
// target's strings come through as data.
#include <sstream>

#include "run_harness.h"

namespace threadleak_test {
namespace {

/// One stack of `go tool pprof -traces`: its labels, its value, its frames
/// from the leaf down.
struct Trace {
  std::map<std::string, std::string> labels;
  long count = -1;
  std::vector<std::string> frames;

  /// Index of `frame` in frames, or -1.
  long Find(const std::string &frame) const {
    for (size_t i = 0; i < frames.size(); ++i)
      if (frames[i] == frame) return static_cast<long>(i);
    return -1;
  }
};

std::string Trim(const std::string &s) {
  const size_t begin = s.find_first_not_of(' ');
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(' ') - begin + 1);
}

/// The traces of `go tool pprof -traces` output: blocks after the header,
/// each "-----------+---" line starting one. A label line is "key:  value";
/// the first frame line starts with the sample's value.
std::vector<Trace> ParseTraces(const std::string &out) {
  std::vector<Trace> traces;
  std::istringstream in(out);
  bool in_block = false;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("-----------+")) {
      traces.emplace_back();
      in_block = true;
      continue;
    }
    if (!in_block || Trim(line).empty()) continue;
    Trace &t = traces.back();
    const std::string text = Trim(line);
    if (t.count < 0 && !std::isdigit(static_cast<unsigned char>(text[0]))) {
      const size_t colon = text.find(':');
      if (colon != std::string::npos) t.labels[text.substr(0, colon)] = Trim(text.substr(colon + 1));
      continue;
    }
    if (t.count < 0) {
      size_t digits = 0;
      t.count = std::stol(text, &digits);
      t.frames.push_back(Trim(text.substr(digits)));
    } else {
      t.frames.push_back(text);
    }
  }
  if (!traces.empty() && traces.back().count < 0) traces.pop_back();  // the closing separator
  return traces;
}

/// The `go tool pprof -top` row of `name`: flat, flat%, sum%, cum, cum%; empty if none.
std::vector<std::string> TopRow(const std::string &out, const std::string &name) {
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::vector<std::string> row;
    for (std::string f; row.size() < 5 && fields >> f;) row.push_back(f);
    std::string rest;
    std::getline(fields, rest);
    if (row.size() == 5 && Trim(rest) == name) return row;
  }
  return {};
}

/// The GNU build-id note (.note.gnu.build-id) of an ELF64 file in hex, or "".
std::string BuildIdOf(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  const std::string image{std::istreambuf_iterator<char>(in), {}};
  if (image.size() < sizeof(Elf64_Ehdr)) return "";
  const auto *ehdr = reinterpret_cast<const Elf64_Ehdr *>(image.data());
  if (ehdr->e_shoff + size_t{ehdr->e_shnum} * sizeof(Elf64_Shdr) > image.size() ||
      ehdr->e_shstrndx >= ehdr->e_shnum)
    return "";
  const auto *sections = reinterpret_cast<const Elf64_Shdr *>(image.data() + ehdr->e_shoff);
  const char *names = image.data() + sections[ehdr->e_shstrndx].sh_offset;
  for (int i = 0; i < ehdr->e_shnum; ++i) {
    if (std::string_view(names + sections[i].sh_name) != ".note.gnu.build-id") continue;
    const auto *note = reinterpret_cast<const Elf64_Nhdr *>(image.data() + sections[i].sh_offset);
    const auto *desc = reinterpret_cast<const unsigned char *>(note + 1) + ((note->n_namesz + 3) & ~3u);
    std::string hex;
    for (unsigned k = 0; k < note->n_descsz; ++k) {
      char buf[3];
      snprintf(buf, sizeof buf, "%02x", desc[k]);
      hex += buf;
    }
    return hex;
  }
  return "";
}

class PprofTest : public RunTest {
 protected:
  void SetUp() override {
    RunTest::SetUp();
    go_ = FindProgram("go");
    ASSERT_FALSE(go_.empty()) << "go is missing: run scripts/install-deps.sh (Debian golang-go)";
    dir_ = MakeTempDir();
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  /// `threadleak run --format pprof -o DIR/FIXTURE.pb.gz -- build/fixtures/FIXTURE`:
  /// the profile's path, once threadleak has exited as for a leak.
  std::string ProfileOf(const std::string &fixture) {
    const std::string profile = dir_ + "/" + fixture + ".pb.gz";
    const RunResult run =
        RunThreadleak({"run", "--format", "pprof", "-o", profile, "--", "build/fixtures/" + fixture});
    EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
    EXPECT_TRUE(fs::exists(profile)) << run.Describe();
    return profile;
  }

  /// `go tool pprof ARGS PROFILE`'s stdout; the test fails if it does not exit 0.
  /// go keeps its caches and pprof its state under HOME: a fresh one here.
  std::string Pprof(const std::vector<std::string> &args, const std::string &profile) {
    std::vector<std::string> argv{go_, "tool", "pprof"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(profile);
    const RunResult r = CollectThreadleak(
        SpawnProgram(argv, {{"HOME", dir_}, {"GOCACHE", dir_ + "/gocache"}, {"PPROF_TMPDIR", dir_}},
                     {"GOFLAGS", "PPROF_BINARY_PATH"}),
        std::chrono::seconds(20));
    EXPECT_EQ(r.exit_code, 0) << "go tool pprof failed\n--- stderr ---\n" << r.err << "\n--- stdout ---\n" << r.out;
    return r.out;
  }

  std::string go_;
  std::string dir_;
};

TEST_F(PprofTest, TopAndTracesNameTheCreationFunctionWithTheThreadCount) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("many_threads"));
  // many_threads: 50 threads created in spawn_workers(), parked in
  // pthread_cond_wait from worker_wait_for_work().
  const std::string profile = ProfileOf("many_threads");

  const std::string top = Pprof({"-top"}, profile);
  EXPECT_NE(top.find("Type: threads\n"), std::string::npos) << top;
  EXPECT_NE(top.find("Showing nodes accounting for 50, 100% of 50 total"), std::string::npos) << top;
  const std::vector<std::string> row = TopRow(top, "spawn_workers");
  ASSERT_EQ(row.size(), 5u) << "no spawn_workers row in\n" << top;
  EXPECT_EQ(row[3], "50") << "cum of spawn_workers in\n" << top;
  EXPECT_EQ(TopRow(top, "[syscall futex]").at(0), "50") << "the leaf, flat\n" << top;
  EXPECT_NE(top.find("Build ID: " + BuildIdOf(RepoRoot() / "build/fixtures/many_threads") + "\n"),
            std::string::npos)
      << top;

  const std::string out = Pprof({"-traces"}, profile);
  const std::vector<Trace> traces = ParseTraces(out);
  ASSERT_EQ(traces.size(), 1u) << out;
  const Trace &t = traces[0];
  EXPECT_EQ(t.count, 50) << out;
  EXPECT_EQ(t.labels.at("kind"), "parked") << out;
  EXPECT_EQ(t.labels.at("syscall"), "futex") << out;
  EXPECT_EQ(t.labels.at("state"), "blocked") << out;
  ASSERT_FALSE(t.frames.empty()) << out;
  EXPECT_EQ(t.frames.front(), "[syscall futex]") << out;
  const long start = t.Find("[thread start]");
  ASSERT_GE(start, 0) << out;
  EXPECT_GE(t.Find("pthread_cond_wait"), 0) << out;
  EXPECT_LT(t.Find("worker_wait_for_work"), start) << "a blocking frame, above the separator\n" << out;
  EXPECT_GT(t.Find("worker_wait_for_work"), 0) << out;
  EXPECT_GT(t.Find("spawn_workers"), start) << "the creation frame, below the separator\n" << out;
  EXPECT_GT(t.Find("main"), t.Find("spawn_workers")) << out;

  // The second value: threads x how long they were parked, in nanoseconds.
  const std::string parked = Pprof({"-sample_index=parked", "-top"}, profile);
  EXPECT_NE(parked.find("Type: parked\n"), std::string::npos) << parked;
  const std::vector<std::string> parked_row = TopRow(parked, "spawn_workers");
  ASSERT_EQ(parked_row.size(), 5u) << parked;
  EXPECT_NE(parked_row[3], "0") << parked;
  EXPECT_TRUE(parked_row[3].ends_with("s")) << "a duration: " << parked_row[3] << "\n" << parked;
}

TEST_F(PprofTest, ThreadsOfALeakedProcessAreRootedAtTheForkThatStartedIt) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("leave_server_running"));
  // leave_server_running: start_server() forks a server whose main thread
  // blocks in accept() and whose start_reader() thread blocks in read().
  const std::string out = Pprof({"-traces"}, ProfileOf("leave_server_running"));
  const std::vector<Trace> traces = ParseTraces(out);
  ASSERT_EQ(traces.size(), 2u) << out;
  bool saw_reader = false, saw_main = false;
  for (const Trace &t : traces) {
    EXPECT_EQ(t.count, 1) << out;
    EXPECT_EQ(t.labels.at("kind"), "left_running") << out;
    const long forked = t.Find("[process start]");
    ASSERT_GE(forked, 0) << out;
    bool start_server_below = false;
    for (size_t i = static_cast<size_t>(forked) + 1; i < t.frames.size(); ++i)
      start_server_below |= t.frames[i] == "start_server";
    EXPECT_TRUE(start_server_below) << "the fork in the parent, below [process start]\n" << out;
    if (t.labels.at("syscall") == "read") {
      saw_reader = true;
      EXPECT_LT(t.Find("reader_loop"), t.Find("[thread start]")) << out;
      EXPECT_GT(t.Find("start_reader"), t.Find("[thread start]")) << out;
      EXPECT_LT(t.Find("start_reader"), forked) << out;
    } else {
      saw_main = true;
      EXPECT_EQ(t.labels.at("syscall"), "accept") << out;
      EXPECT_EQ(t.Find("[thread start]"), -1) << "a main thread was not created by a thread\n" << out;
    }
  }
  EXPECT_TRUE(saw_reader && saw_main) << out;
}

TEST_F(PprofTest, AHostileThreadNameReachesPprofAsData) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("hostile_name"));
  // hostile_name names its thread "a<RLO>b\"c<0xff>": the override and the
  // quote are data and stay; the invalid byte cannot be a proto3 string and
  // becomes U+FFFD, so strict readers (protobuf-go) accept the file too.
  const std::string profile = ProfileOf("hostile_name");
  const std::string tags = Pprof({"-tags"}, profile);
  EXPECT_NE(tags.find("): a\xe2\x80\xae" "b\"c\xef\xbf\xbd\n"), std::string::npos) << tags;
  const std::vector<Trace> traces = ParseTraces(Pprof({"-traces"}, profile));
  ASSERT_EQ(traces.size(), 1u);
  EXPECT_EQ(traces[0].labels.at("comm"), "a\xe2\x80\xae" "b\"c\xef\xbf\xbd");
  EXPECT_GT(traces[0].Find("hostile_loop"), -1);
}

}  // namespace
}  // namespace threadleak_test
