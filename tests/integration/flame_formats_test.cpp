// The flame-graph formats (folded, svg, html) on real runs: the folded lines
// name where each leaked thread was created, what it is blocked in and how
// many; the html and svg work in headless Chromium (browser_check.py: no
// console error, no network request, the root frame visible, a click zooms)
// with screenshots kept in build/test-results/; and a target whose function,
// file, thread, path and argv names are hostile yields output that stays
// well-formed (xmllint) and inert (no script but the report's runs).
#include "run_harness.h"

#include <numeric>
#include <regex>
#include <sstream>

namespace {

using namespace threadleak_test;

/// One `STACK COUNT` line of folded output.
struct Folded {
  std::vector<std::string> frames;
  long count = 0;
  std::string stack;
};

/// The lines of a folded file; every one must follow the grammar
/// flamegraph.pl reads (a whole count after the last space, frames split on
/// ';', none empty) with no control character.
std::vector<Folded> ParseFolded(const std::string &text) {
  std::vector<Folded> lines;
  std::istringstream in(text);
  std::string line;
  const std::regex grammar("^([^;]+(;[^;]+)*) ([1-9][0-9]*)$");
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, grammar)) {
      ADD_FAILURE() << "not a folded line: " << line;
      continue;
    }
    for (unsigned char c : line) EXPECT_FALSE(c < 0x20 || c == 0x7f) << line;
    Folded f;
    f.stack = m[1];
    f.count = std::stol(m[3]);
    std::stringstream frames(f.stack);
    for (std::string frame; std::getline(frames, frame, ';');) f.frames.push_back(frame);
    lines.push_back(std::move(f));
  }
  return lines;
}

long Total(const std::vector<Folded> &lines) {
  return std::accumulate(lines.begin(), lines.end(), 0L, [](long n, const Folded &f) { return n + f.count; });
}

/// The line whose frames include every one of `needles` (whole identifiers), or null.
const Folded *LineWith(const std::vector<Folded> &lines, std::initializer_list<std::string_view> needles) {
  for (const Folded &l : lines) {
    bool all = true;
    for (std::string_view n : needles) {
      bool found = false;
      for (const std::string &f : l.frames) found = found || NameHasIdentifiers(f, n) || f == n;
      all = all && found;
    }
    if (all) return &l;
  }
  return nullptr;
}

/// Index of `frame` in `line`, or -1.
long IndexOf(const Folded &line, std::string_view frame) {
  for (size_t i = 0; i < line.frames.size(); ++i)
    if (NameHasIdentifiers(line.frames[i], frame) || line.frames[i] == frame) return static_cast<long>(i);
  return -1;
}

std::string ReadFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string{std::istreambuf_iterator<char>(in), {}};
}

struct FormatRun {
  RunResult run;
  std::string text;  // the --output file
};

/// `threadleak run --format FORMAT --output DIR/NAME [extra...] -- command...`.
FormatRun RunFormat(const std::vector<std::string> &command, const std::string &format, const std::string &path,
                    std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"run", "--format", format, "--output", path};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("--");
  args.insert(args.end(), command.begin(), command.end());
  FormatRun r{RunThreadleak(args), ""};
  r.text = ReadFile(path);
  return r;
}

struct BrowserResult {
  RunResult run;
  std::vector<json> files;  // one {"file", "problems", "facts"} per file
  std::string Describe() const { return "browser_check exit " + std::to_string(run.exit_code) + "\n" + run.out + run.err; }
};

/// tests/integration/browser_check.py on `files` in headless Chromium.
BrowserResult CheckInBrowser(const std::vector<std::string> &files, std::vector<std::string> flags = {}) {
  std::vector<std::string> argv{"python3", (RepoRoot() / "tests/integration/browser_check.py").string()};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), files.begin(), files.end());
  BrowserResult result{CollectThreadleak(SpawnProgram(argv), std::chrono::seconds(60)), {}};
  std::istringstream lines(result.run.out);
  for (std::string line; std::getline(lines, line);) {
    json j = json::parse(line, nullptr, false);
    if (!j.is_discarded()) result.files.push_back(std::move(j));
  }
  return result;
}

std::string Problems(const json &file) { return Get(file, "/problems").dump(2); }

/// xmllint's exit status and messages for FILE (`args` before it).
std::pair<int, std::string> Xmllint(const std::string &path, const std::vector<std::string> &args = {"--noout"}) {
  std::vector<std::string> argv{"xmllint"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(path);
  const RunResult r = CollectThreadleak(SpawnProgram(argv), std::chrono::seconds(20));
  std::string out = r.out + r.err;
  if (out.ends_with('\n')) out.pop_back();
  return {r.exit_code, out};
}

class FlameGraphTest : public RunTest {
 protected:
  static void ExpectDemoBuilt() {
    ASSERT_TRUE(fs::exists(RepoRoot() / "build/leaky_demo")) << "build/leaky_demo is missing: run `make build/leaky_demo`";
  }
};
class FlameBrowserTest : public FlameGraphTest {
 protected:
  static void ExpectTools() {
    ASSERT_FALSE(FindProgram("chromium").empty()) << "chromium is missing: run scripts/install-deps.sh";
    ASSERT_FALSE(FindProgram("python3").empty()) << "python3 is missing: run scripts/install-deps.sh";
    ASSERT_FALSE(FindProgram("xmllint").empty()) << "xmllint is missing: run scripts/install-deps.sh";
  }
};
class FlameEscapeTest : public FlameBrowserTest {};

// leaky_demo: a heartbeat on a condvar, three readers on a pipe, a producer on a full queue.
TEST_F(FlameGraphTest, FoldedLinesNameTheCreationSiteTheBlockingCallAndTheCount) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectDemoBuilt());
  const std::string dir = MakeTempDir();
  const FormatRun both = RunFormat({"build/leaky_demo"}, "folded", dir + "/both.folded");
  const FormatRun time = RunFormat({"build/leaky_demo"}, "folded", dir + "/time.folded", {"--weight", "time"});
  const FormatRun creation = RunFormat({"build/leaky_demo"}, "folded", dir + "/c.folded", {"--stack", "creation"});
  const FormatRun blocking = RunFormat({"build/leaky_demo"}, "folded", dir + "/b.folded", {"--stack", "blocking"});
  fs::remove_all(dir);

  EXPECT_EQ(both.run.exit_code, kLeakExitCode) << both.run.Describe();
  const auto lines = ParseFolded(both.text);
  EXPECT_EQ(Total(lines), 5) << both.text;
  const Folded *readers = LineWith(lines, {"start_request_readers", "read_requests", "[syscall read]"});
  ASSERT_NE(readers, nullptr) << both.text;
  EXPECT_EQ(readers->count, 3) << readers->stack;
  // Root first: _start, main, the creation site, [thread start], the reader's loop, the syscall leaf.
  EXPECT_EQ(readers->frames.front(), "_start") << readers->stack;
  EXPECT_LT(IndexOf(*readers, "main"), IndexOf(*readers, "start_request_readers")) << readers->stack;
  EXPECT_LT(IndexOf(*readers, "start_request_readers"), IndexOf(*readers, "[thread start]")) << readers->stack;
  EXPECT_LT(IndexOf(*readers, "[thread start]"), IndexOf(*readers, "read_requests")) << readers->stack;
  EXPECT_EQ(readers->frames.back(), "[syscall read]");
  const Folded *heartbeat = LineWith(lines, {"start_heartbeat", "heartbeat_loop", "[syscall futex]"});
  ASSERT_NE(heartbeat, nullptr) << both.text;
  EXPECT_EQ(heartbeat->count, 1);
  const Folded *producer = LineWith(lines, {"start_event_producer", "produce_events", "[syscall futex]"});
  ASSERT_NE(producer, nullptr) << both.text;
  EXPECT_EQ(producer->count, 1);

  // --weight time: milliseconds blocked; the demo exits 200 ms after starting them.
  const auto timed = ParseFolded(time.text);
  const Folded *readers_time = LineWith(timed, {"start_request_readers", "read_requests"});
  ASSERT_NE(readers_time, nullptr) << time.text << time.run.Describe();
  EXPECT_GE(readers_time->count, 3 * 100) << readers_time->stack;
  EXPECT_LE(readers_time->count, 3 * 5000) << readers_time->stack;

  const auto created = ParseFolded(creation.text);
  const Folded *site = LineWith(created, {"start_request_readers"});
  ASSERT_NE(site, nullptr) << creation.text;
  EXPECT_EQ(site->count, 3);
  EXPECT_EQ(creation.text.find("read_requests"), std::string::npos) << creation.text;
  EXPECT_EQ(creation.text.find("[syscall"), std::string::npos) << creation.text;

  const auto blocked = ParseFolded(blocking.text);
  const Folded *reading = LineWith(blocked, {"read_requests", "[syscall read]"});
  ASSERT_NE(reading, nullptr) << blocking.text;
  EXPECT_EQ(reading->count, 3);
  EXPECT_EQ(blocking.text.find("start_request_readers"), std::string::npos) << blocking.text;
  EXPECT_EQ(blocking.text.find("[thread start]"), std::string::npos) << blocking.text;
}

TEST_F(FlameBrowserTest, HtmlAndSvgWorkInChromiumWithoutNetwork) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectDemoBuilt());
  ASSERT_NO_FATAL_FAILURE(ExpectTools());
  const std::string dir = MakeTempDir();
  const FormatRun html = RunFormat({"build/leaky_demo"}, "html", dir + "/flame_demo.html");
  const FormatRun svg = RunFormat({"build/leaky_demo"}, "svg", dir + "/flame_demo.svg");
  EXPECT_EQ(html.run.exit_code, kLeakExitCode) << html.run.Describe();
  EXPECT_EQ(svg.run.exit_code, kLeakExitCode) << svg.run.Describe();
  EXPECT_EQ(Xmllint(dir + "/flame_demo.svg").first, 0) << Xmllint(dir + "/flame_demo.svg").second;
  EXPECT_EQ(Xmllint(dir + "/flame_demo.html").first, 0) << Xmllint(dir + "/flame_demo.html").second;
  const std::string shots = (RepoRoot() / "build/test-results").string();
  const BrowserResult browser =
      CheckInBrowser({dir + "/flame_demo.html", dir + "/flame_demo.svg"},
                     {"--screenshot-dir", shots, "--search", "read_requests", "--expect-text", "start_request_readers"});
  fs::remove_all(dir);
  EXPECT_EQ(browser.run.exit_code, 0) << browser.Describe();
  ASSERT_EQ(browser.files.size(), 2u) << browser.Describe();
  for (const json &file : browser.files) {
    SCOPED_TRACE(GetString(file, "/file"));
    EXPECT_TRUE(Get(file, "/problems").empty()) << Problems(file);
    EXPECT_EQ(GetString(file, "/facts/root_text"), "all: 5 leaked threads") << file.dump(2);
    EXPECT_EQ(GetInt(file, "/facts/search/marked"), 1) << file.dump(2);  // read_requests: one frame
    EXPECT_NE(GetString(file, "/facts/search/matched").find("(3 of 5 threads)"), std::string::npos) << file.dump(2);
    EXPECT_TRUE(fs::exists(GetString(file, "/facts/screenshot"))) << file.dump(2);
    EXPECT_TRUE(fs::exists(GetString(file, "/facts/screenshot_zoomed"))) << file.dump(2);
  }
}

// The checker itself: a page that logs an error, loads a remote image, has
// an inline handler and no flame graph; and a flame graph without its script.
TEST_F(FlameBrowserTest, TheBrowserCheckFailsOnErrorsRequestsHandlersAndDeadClicks) {
  ASSERT_NO_FATAL_FAILURE(ExpectTools());
  const std::string dir = MakeTempDir();
  std::ofstream(dir + "/bad.html") << "<!DOCTYPE html><html><body onload=\"void 0\"><h1>x</h1>"
                                      "<img src=\"http://threadleak-test.invalid/x.png\" alt=\"\">"
                                      "<script>console.error('boom')</script></body></html>";
  std::ofstream(dir + "/scriptless.svg")
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"tlf\" width=\"1200\" height=\"60\" data-width=\"1200\" "
         "data-pad=\"10\"><g class=\"f r\" data-x=\"0\" data-w=\"2\" data-d=\"0\"><title>all</title>"
         "<rect x=\"10\" y=\"40\" width=\"1180\" height=\"16\" fill=\"#bbb\"/><text x=\"13\" y=\"52\">all</text></g>"
         "<g class=\"f c\" data-x=\"0\" data-w=\"1\" data-d=\"1\"><title>main</title>"
         "<rect x=\"10\" y=\"23\" width=\"590\" height=\"16\" fill=\"#abc\"/><text x=\"13\" y=\"35\">main</text></g>"
         "</svg>";
  const BrowserResult browser = CheckInBrowser({dir + "/bad.html", dir + "/scriptless.svg"});
  fs::remove_all(dir);
  EXPECT_EQ(browser.run.exit_code, 1) << browser.Describe();
  ASSERT_EQ(browser.files.size(), 2u) << browser.Describe();
  const std::string bad = Problems(browser.files[0]), scriptless = Problems(browser.files[1]);
  for (const char *expected : {"network request attempted: http://threadleak-test.invalid/x.png", "console error",
                               "1 event-handler attributes", "no <svg class=\\\"tlf\\\">"})
    EXPECT_NE(bad.find(expected), std::string::npos) << expected << " not in " << bad;
  EXPECT_NE(scriptless.find("did not zoom"), std::string::npos) << scriptless;
  EXPECT_NE(scriptless.find("0 <script> elements"), std::string::npos) << scriptless;
}

// hostile_symbols: function names with <script>, quotes, &, ]]>, ;, a newline,
// U+202E and bytes that are not UTF-8; thread names and its source file name
// too; run from a path and with argv as hostile; it leaks 3 threads and a
// child process.
TEST_F(FlameEscapeTest, HostileFunctionThreadPathAndArgvNamesStayWellFormedAndInert) {
  SKIP_UNLESS_ROOT();
  ASSERT_NO_FATAL_FAILURE(ExpectFixtureBuilt("hostile_symbols"));
  ASSERT_NO_FATAL_FAILURE(ExpectTools());
  const std::string dir = MakeTempDir();
  const std::string exe = dir + "/evil<svg>\"'&]]>;\xe2\x80\xae\xff";
  fs::copy_file(RepoRoot() / "build/fixtures/hostile_symbols", exe);
  const std::vector<std::string> command{exe, "<script>alert(3)</script>", "a\nb]]>\xe2\x80\xae\xff"};
  const FormatRun folded = RunFormat(command, "folded", dir + "/leaks.folded");
  const FormatRun svg = RunFormat(command, "svg", dir + "/hostile.svg");
  const FormatRun html = RunFormat(command, "html", dir + "/hostile.html");
  for (const FormatRun *r : {&folded, &svg, &html}) EXPECT_EQ(r->run.exit_code, kLeakExitCode) << r->run.Describe();

  // The worker's name as escape_text shows it; ';' is '_' in folded output.
  const std::string worker = "<script>alert(1)</script>\"'&]]>;\\x0ax\\u202e\\xff";
  std::string worker_folded = worker;
  std::replace(worker_folded.begin(), worker_folded.end(), ';', '_');
  const auto lines = ParseFolded(folded.text);
  EXPECT_EQ(Total(lines), 4) << folded.text;  // 3 threads and the leaked process's main thread
  const Folded *threads = LineWith(lines, {worker_folded, "[syscall pause]"});
  ASSERT_NE(threads, nullptr) << folded.text;
  EXPECT_EQ(threads->count, 3);
  EXPECT_EQ(folded.text.find("\xe2\x80\xae"), std::string::npos) << folded.text;

  for (const std::string name : {"hostile.svg", "hostile.html"}) {
    SCOPED_TRACE(name);
    const std::string path = dir + "/" + name, text = ReadFile(path);
    const auto [status, messages] = Xmllint(path);
    EXPECT_EQ(status, 0) << messages;
    EXPECT_EQ(Xmllint(path, {"--xpath", "count(//*[local-name()='script'])"}).second, "1");
    EXPECT_EQ(Xmllint(path, {"--xpath", "count(//@*[starts-with(local-name(), 'on')])"}).second, "0");
    EXPECT_EQ(text.find("<script>alert"), std::string::npos);
    EXPECT_EQ(text.find("\xe2\x80\xae"), std::string::npos);
    EXPECT_EQ(text.find('\xff'), std::string::npos);
  }
  const BrowserResult browser =
      CheckInBrowser({dir + "/hostile.html", dir + "/hostile.svg"},
                     {"--screenshot-dir", (RepoRoot() / "build/test-results").string(), "--search", "script",
                      "--expect-text", worker, "--expect-text", "</title></svg><img src=x onerror=alert(2)>",
                      "--expect-text", "<script>alert(3)</script>"});  // argv, in the summary and the subtitle
  fs::remove_all(dir);
  EXPECT_EQ(browser.run.exit_code, 0) << browser.Describe();
  ASSERT_EQ(browser.files.size(), 2u) << browser.Describe();
  for (const json &file : browser.files) EXPECT_TRUE(Get(file, "/problems").empty()) << Problems(file);
}

}  // namespace
