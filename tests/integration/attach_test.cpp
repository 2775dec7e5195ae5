// `threadleak attach` on live fixtures (tests/fixtures/attach/): the verdicts a user
// reads (a leaking creation site, an idle pool parked, threads parked before attach),
// --baseline, --all --comm, a child forked after attach, detach on --duration, Ctrl-C
// and SIGTERM leaving the targets running and none of threadleak's BPF programs
// loaded, bad input, and a target with 10,000 threads. Need root (BPF); the BPF
// check needs bpftool.
//
// Each fixture prints "ready" once set up; those that act after attach (idle_pool,
// fork_after_attach) wait for "go" on stdin, sent once threadleak holds its BPF
// links. Durations are short (--threshold 1s, --min-observation 3s) so that every
// test takes a few seconds.
#include "run_harness.h"

#include <arpa/inet.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>

namespace {

using namespace threadleak_test;
using std::chrono::milliseconds;
using std::chrono::seconds;

// userspace/common/errors.h (the integration tests do not link the project).
constexpr int kUsageExit = 64;
constexpr int kNotUserProcessExit = 65;
constexpr int kNoSuchProcessExit = 67;
constexpr int kInternalExit = 70;
constexpr int kAddressInUseExit = 76;

/// What every attach here passes: verdicts after 3 s, threads parked after 1 s.
const std::vector<std::string> kQuick = {"--threshold", "1s", "--min-observation", "3s"};

uint64_t UnixNowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

std::string ReadFile(const std::string &path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

/// The fields of /proc/PID/stat after the command name: [0] is the state.
std::vector<std::string> StatFields(pid_t pid) {
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  std::vector<std::string> fields;
  if (paren == std::string::npos) return fields;
  std::istringstream rest(stat.substr(paren + 1));
  for (std::string field; rest >> field;) fields.push_back(field);
  return fields;
}

/// A running fixture build/fixtures/attach/NAME in its own process group, with
/// pipes on its stdin and stdout (stderr is the test's). Its group is killed when
/// the Target goes out of scope.
class Target {
 public:
  explicit Target(const std::string &name, const std::vector<std::string> &args = {})
      : name_(name) {
    started_unix_ns_ = UnixNowNs();
    std::vector<std::string> argv_storage{(RepoRoot() / "build/fixtures/attach" / name).string()};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char *> argv;
    for (auto &arg : argv_storage) argv.push_back(arg.data());
    argv.push_back(nullptr);
    int in_pipe[2], out_pipe[2];
    if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0) std::abort();
    pid_ = fork();
    if (pid_ < 0) std::abort();
    if (pid_ == 0) {
      setpgid(0, 0);
      if (dup2(in_pipe[0], 0) < 0 || dup2(out_pipe[1], 1) < 0) _exit(120);
      execv(argv[0], argv.data());
      fprintf(stderr, "test: cannot execute %s: %s\n", argv[0], strerror(errno));
      _exit(127);
    }
    setpgid(pid_, pid_);
    close(in_pipe[0]);
    close(out_pipe[1]);
    in_fd_ = in_pipe[1];
    out_fd_ = out_pipe[0];
  }
  Target(const Target &) = delete;
  Target &operator=(const Target &) = delete;
  ~Target() {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    // Its children (fork_after_attach's) were reparented to this subreaper.
    const auto deadline = Clock::now() + milliseconds(500);
    while (waitpid(-pid_, nullptr, WNOHANG) >= 0 && Clock::now() < deadline)
      std::this_thread::sleep_for(milliseconds(5));
    close(in_fd_);
    close(out_fd_);
  }

  pid_t pid() const { return pid_; }
  std::string pid_text() const { return std::to_string(pid_); }
  uint64_t started_unix_ns() const { return started_unix_ns_; }

  /// The next line of its stdout that starts with `prefix` (without the newline),
  /// or nullopt if none came within `patience` or it closed stdout.
  std::optional<std::string> WaitForLine(const std::string &prefix, milliseconds patience) {
    const auto deadline = Clock::now() + patience;
    for (;;) {
      for (size_t end; (end = buffer_.find('\n')) != std::string::npos;) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        seen_ += line + "\n";
        if (line.starts_with(prefix)) return line;
      }
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd fd{out_fd_, POLLIN, 0};
      if (poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[512];
      const ssize_t n = read(out_fd_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }
  bool WaitReady(milliseconds patience = seconds(20)) {
    return WaitForLine("ready", patience).has_value();
  }
  bool Send(const std::string &text) {
    return write(in_fd_, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  }

  /// Its state letter from /proc/PID/stat ('S', 'R', 'T' stopped, 't' traced, 'Z'),
  /// or '?' when it is gone.
  char State() const {
    const std::vector<std::string> fields = StatFields(pid_);
    return fields.empty() || fields[0].empty() ? '?' : fields[0][0];
  }
  long TracerPid() const {
    std::istringstream status(ReadFile("/proc/" + pid_text() + "/status"));
    for (std::string line; std::getline(status, line);)
      if (line.starts_with("TracerPid:")) return std::strtol(line.c_str() + 10, nullptr, 10);
    return -1;
  }
  size_t ThreadCount() const {
    std::error_code ec;
    const auto tasks = fs::directory_iterator("/proc/" + pid_text() + "/task", ec);
    return ec ? 0 : static_cast<size_t>(std::distance(fs::begin(tasks), fs::end(tasks)));
  }
  std::string Describe() const {
    return name_ + " (pid " + pid_text() + ", state " + State() + ") printed:\n" + seen_ + buffer_;
  }

 private:
  std::string name_;
  pid_t pid_ = -1;
  int in_fd_ = -1, out_fd_ = -1;
  uint64_t started_unix_ns_ = 0;
  std::string buffer_, seen_;
};

// --- threadleak's BPF objects -------------------------------------------------

/// The names of threadleak's BPF programs, read from bpf/*.bpf.c (the function
/// after each SEC("...") that is not a map or the license), cut to the kernel's
/// 15 characters, so a program added later is checked too.
std::set<std::string> OurProgramNames() {
  static const std::regex kProgram(R"re(SEC\("([^"]+)"\)\s*\n\s*int\s+(?:BPF_PROG\s*\(\s*)?(\w+))re");
  std::set<std::string> names;
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator(RepoRoot() / "bpf", ec)) {
    if (!entry.path().string().ends_with(".bpf.c")) continue;
    const std::string source = ReadFile(entry.path());
    for (std::sregex_iterator it(source.begin(), source.end(), kProgram), end; it != end; ++it)
      names.insert((*it)[2].str().substr(0, 15));
  }
  return names;
}

/// `bpftool -j ARGS` parsed, or null (with its output in *error).
json BpftoolJson(const std::string &args, std::string *error) {
  const std::string bpftool = FindProgram("bpftool");
  FILE *pipe = popen(("'" + bpftool + "' -j " + args + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return nullptr;
  std::string text;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) text.append(buffer, n);
  const bool ok = pclose(pipe) == 0;
  json parsed = json::parse(text, nullptr, false);
  if (!ok || parsed.is_discarded()) {
    if (error != nullptr) *error = text;
    return nullptr;
  }
  return parsed;
}

/// Loaded BPF programs named like threadleak's (id -> name), and the links of those
/// programs (link id -> program id).
struct BpfObjects {
  std::map<long, std::string> programs;
  std::map<long, long> links;
  bool ok = false;
  std::string error;

  static BpfObjects List() {
    BpfObjects objects;
    const std::set<std::string> ours = OurProgramNames();
    const json programs = BpftoolJson("prog show", &objects.error);
    const json links = BpftoolJson("link show", &objects.error);
    if (!programs.is_array() || !links.is_array()) return objects;
    for (const auto &p : programs)
      if (p.contains("name") && ours.contains(p["name"].get<std::string>()))
        objects.programs[p["id"].get<long>()] = p["name"].get<std::string>();
    for (const auto &l : links)
      if (l.contains("prog_id") && objects.programs.contains(l["prog_id"].get<long>()))
        objects.links[l["id"].get<long>()] = l["prog_id"].get<long>();
    objects.ok = true;
    return objects;
  }
};

/// The BPF program and link ids `pid` holds through its descriptors (fdinfo).
struct HeldBpf {
  std::set<long> programs, links;
};
HeldBpf BpfHeldBy(pid_t pid) {
  HeldBpf held;
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fdinfo", ec)) {
    std::istringstream in(ReadFile(entry.path()));
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with("prog_id:")) held.programs.insert(std::strtol(line.c_str() + 8, nullptr, 10));
      if (line.starts_with("link_id:")) held.links.insert(std::strtol(line.c_str() + 8, nullptr, 10));
    }
  }
  return held;
}

/// Processes other than `except` that hold BPF program `id` through a descriptor.
std::vector<pid_t> OtherHoldersOf(long program_id, pid_t except) {
  std::vector<pid_t> holders;
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid != except && BpfHeldBy(pid).programs.contains(program_id)) holders.push_back(pid);
  }
  return holders;
}

std::string IdList(const std::set<long> &ids) {
  std::string text;
  for (long id : ids) text += (text.empty() ? "" : ", ") + std::to_string(id);
  return text.empty() ? "(none)" : text;
}

// --- running threadleak attach ---------------------------------------------------

/// A started `threadleak attach ARGS -o DIR/out.json -o DIR/out.txt`.
struct Attach {
  SpawnedThreadleak spawned;
  std::string dir, json_path, text_path;
};

struct AttachRun : RunResult {
  std::string text;  // the text report (out.txt)
};

Attach StartAttach(const std::vector<std::string> &args, bool quick = true) {
  Attach attach;
  attach.dir = MakeTempDir();
  attach.json_path = attach.dir + "/out.json";
  attach.text_path = attach.dir + "/out.txt";
  std::vector<std::string> argv{"attach"};
  argv.insert(argv.end(), args.begin(), args.end());
  if (quick) argv.insert(argv.end(), kQuick.begin(), kQuick.end());
  argv.insert(argv.end(), {"-o", attach.json_path, "-o", attach.text_path});
  attach.spawned = SpawnThreadleak(argv);
  return attach;
}

AttachRun FinishAttach(const Attach &attach, milliseconds guard = seconds(30)) {
  AttachRun run;
  // Other attaches and targets of the test may be running: reap none of them.
  static_cast<RunResult &>(run) = CollectThreadleak(attach.spawned, guard, /*reap_orphans=*/false);
  ReadReport(attach.json_path, &run);
  run.text = ReadFile(attach.text_path);
  fs::remove_all(attach.dir);
  return run;
}

AttachRun RunAttach(const std::vector<std::string> &args, bool quick = true) {
  return FinishAttach(StartAttach(args, quick));
}

/// Waits until threadleak (pid) holds BPF links, i.e. its tracepoints are attached,
/// then 200 ms more. Returns what it held, empty if it exited or `patience` passed.
HeldBpf WaitUntilAttached(pid_t threadleak, milliseconds patience = seconds(10)) {
  const auto deadline = Clock::now() + patience;
  while (Clock::now() < deadline) {
    if (StatFields(threadleak).empty() || StatFields(threadleak)[0] == "Z") return {};
    HeldBpf held = BpfHeldBy(threadleak);
    if (!held.links.empty()) {
      std::this_thread::sleep_for(milliseconds(200));
      HeldBpf later = BpfHeldBy(threadleak);
      return later.links.empty() ? held : later;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  return {};
}

// --- reading the report ----------------------------------------------------------

/// A session value, at the top level or under "session".
json SessionValue(const json &report, const std::string &key) {
  if (report.contains(key)) return report[key];
  return Get(report, "/session/" + key);
}

std::vector<json> SitesOf(const json &report, pid_t pid) {
  std::vector<json> sites;
  for (const auto &site : Get(report, "/sites"))
    if (GetInt(site, "/pid") == pid) sites.push_back(site);
  return sites;
}

/// The site of `pid` whose label starts with `function`, or null.
json SiteOf(const json &report, pid_t pid, const std::string &function) {
  for (const auto &site : SitesOf(report, pid))
    if (GetString(site, "/label").starts_with(function)) return site;
  return nullptr;
}

std::string SiteLabels(const json &report) {
  std::string text;
  for (const auto &site : Get(report, "/sites"))
    text += "\n  pid " + std::to_string(GetInt(site, "/pid")) + " " + GetString(site, "/label") +
            ": " + GetString(site, "/verdict") + ", alive " + std::to_string(GetInt(site, "/alive")) +
            ", parked " + std::to_string(GetInt(site, "/parked"));
  return text.empty() ? "(no sites)" : "sites:" + text;
}

/// Leak groups of kind "parked" of `pid`.
std::vector<json> ParkedLeaks(const json &report, pid_t pid) {
  std::vector<json> leaks;
  for (const auto &leak : Get(report, "/leaks"))
    if (GetString(leak, "/kind") == "parked" && GetInt(leak, "/pid") == pid) leaks.push_back(leak);
  return leaks;
}

long CountOf(const std::vector<json> &leaks) {
  long total = 0;
  for (const auto &leak : leaks) total += GetInt(leak, "/count", 0);
  return total;
}

bool CreatedIn(const json &leak, const std::string &function) {
  return FramesContain(Get(leak, "/created_by/frames"), function);
}

/// The start times of a leak group's threads ("started_unix_ns": one per tid,
/// as an array beside "tids", or in "threads" entries); empty when absent.
std::vector<uint64_t> StartTimes(const json &leak) {
  std::vector<uint64_t> times;
  const json direct = Get(leak, "/started_unix_ns");
  if (direct.is_array()) {
    for (const auto &t : direct)
      if (t.is_number_unsigned() || t.is_number_integer()) times.push_back(t.get<uint64_t>());
  } else if (direct.is_number()) {
    times.push_back(direct.get<uint64_t>());
  }
  for (const auto &thread : Get(leak, "/threads")) {
    const json t = Get(thread, "/started_unix_ns");
    if (t.is_number()) times.push_back(t.get<uint64_t>());
  }
  return times;
}

/// Checks that a fixture outlived threadleak untouched: alive, not stopped, not
/// traced, and still creating threads where it does so (`grows`).
void ExpectUntouched(const Target &target, bool grows, const std::string &context) {
  EXPECT_EQ(kill(target.pid(), 0), 0) << "the target died\n" << target.Describe() << context;
  const char state = target.State();
  EXPECT_TRUE(state == 'S' || state == 'R' || state == 'D')
      << "after detach the target is in state " << state << " (T/t: stopped or traced)\n"
      << target.Describe();
  EXPECT_EQ(target.TracerPid(), 0) << target.Describe();
  if (grows) {
    const size_t before = target.ThreadCount();
    std::this_thread::sleep_for(milliseconds(350));
    EXPECT_GT(target.ThreadCount(), before)
        << "the target stopped creating threads after detach\n" << target.Describe();
  }
}

/// Every program and link threadleak held (`held`) is gone once it exited, and
/// no program named like ours was left loaded (loaded now but not in `before`)
/// unless another live process holds it (another threadleak on this machine).
void ExpectNoBpfLeftLoaded(const BpfObjects &before, const HeldBpf &held, pid_t threadleak,
                           const std::string &context) {
  ASSERT_FALSE(held.programs.empty()) << "threadleak held no BPF program while attached\n" << context;
  BpfObjects after;
  std::set<long> programs_left, links_left;
  for (int i = 0; i < 50; ++i) {  // the kernel frees them deferred: give it up to 1 s
    if (i > 0) std::this_thread::sleep_for(milliseconds(20));
    after = BpfObjects::List();
    ASSERT_TRUE(after.ok) << "bpftool failed: " << after.error;
    programs_left.clear();
    links_left.clear();
    for (long id : held.programs)
      if (after.programs.contains(id)) programs_left.insert(id);
    for (long id : held.links)
      if (after.links.contains(id)) links_left.insert(id);
    if (programs_left.empty() && links_left.empty()) break;
  }
  EXPECT_TRUE(programs_left.empty()) << "programs of threadleak still loaded 1 s after it exited: "
                                     << IdList(programs_left) << "\n" << context;
  EXPECT_TRUE(links_left.empty()) << "links of threadleak still present 1 s after it exited: "
                                  << IdList(links_left) << "\n" << context;
  // New programs nobody holds: another threadleak of this test that just
  // exited may leave some for the kernel to free, deferred as above.
  std::map<long, std::string> orphans;
  for (int i = 0; i < 50; ++i) {
    if (i > 0) {
      std::this_thread::sleep_for(milliseconds(20));
      after = BpfObjects::List();
      ASSERT_TRUE(after.ok) << "bpftool failed: " << after.error;
    }
    orphans.clear();
    for (const auto &[id, name] : after.programs)
      if (!before.programs.contains(id) && OtherHoldersOf(id, threadleak).empty()) orphans[id] = name;
    if (orphans.empty()) break;
  }
  for (const auto &[id, name] : orphans)
    ADD_FAILURE() << "BPF program " << id << " (" << name
                  << ") was loaded during the attach and no process holds it 1 s later\n" << context;
}

class AttachTest : public RunTest {
 protected:
  void SetUp() override {
    RunTest::SetUp();
    ASSERT_TRUE(fs::exists(RepoRoot() / "build/fixtures/attach/request_leaker"))
        << "build/fixtures/attach/ is missing: run `make fixtures` first";
  }
};

// A server leaking one parked reader per request (every 100 ms): the site
// start_session_reader is leaking, rising at ~600/min with none exiting; the
// short-lived workers of handle_request_ok are ok with lifetimes >= 10 ms; the
// readers parked for a second are listed, blocked in pthread_cond_wait. The
// server keeps running after threadleak detaches.
TEST_F(AttachTest, RequestLeakerSiteIsLeakingAndTheServerKeepsRunning) {
  SKIP_UNLESS_ROOT();
  Target server("request_leaker");
  ASSERT_TRUE(server.WaitReady()) << server.Describe();
  const AttachRun run =
      RunAttach({"-p", server.pid_text(), "--duration", "4s", "--interval", "500ms"});
  const std::string context = run.Describe();
  const pid_t pid = server.pid();

  EXPECT_EQ(run.exit_code, kLeakExitCode) << context;
  ASSERT_TRUE(run.report.is_object()) << context;
  EXPECT_EQ(GetString(run.report, "/schema"), "threadleak/1") << context;
  EXPECT_EQ(GetString(run.report, "/mode"), "attach") << context;
  EXPECT_EQ(SessionValue(run.report, "pids"), json::array({pid})) << context;
  EXPECT_EQ(GetInt(run.report, "/lost_events"), 0) << context;

  const json leaking = SiteOf(run.report, pid, "start_session_reader");
  ASSERT_TRUE(leaking.is_object()) << "no site start_session_reader; " << SiteLabels(run.report)
                                   << "\n" << context;
  const std::string site = leaking.dump(2);
  EXPECT_EQ(GetString(leaking, "/verdict"), "leaking") << site;
  EXPECT_EQ(Get(run.report, "/sites/0"), leaking) << "leaking sites come first\n" << context;
  EXPECT_EQ(GetString(leaking, "/comm"), "request_leaker") << site;
  EXPECT_EQ(Get(leaking, "/created_before_attach"), false) << site;
  EXPECT_TRUE(FramesContain(Get(leaking, "/created_by/frames"), "start_session_reader")) << site;
  // 10 requests a second for 4 s, none of whose readers ever exit.
  const long created = GetInt(leaking, "/created"), alive = GetInt(leaking, "/alive");
  EXPECT_GE(created, 25) << site;
  EXPECT_LE(created, 60) << site;
  EXPECT_EQ(GetInt(leaking, "/exited"), 0) << site;
  EXPECT_LE(std::abs(created - (GetInt(leaking, "/exited") + alive)), 1) << site;
  EXPECT_GE(GetInt(leaking, "/parked"), 15) << site;
  const json slope = Get(leaking, "/slope_per_min");
  ASSERT_TRUE(slope.is_number()) << site;
  EXPECT_GT(slope.get<double>(), 200.0) << "10 leaks a second are 600 a minute\n" << site;
  EXPECT_LT(slope.get<double>(), 1200.0) << site;
  const json projected = Get(leaking, "/projected_24h");
  ASSERT_TRUE(projected.is_number()) << site;
  EXPECT_GT(projected.get<double>(), 100000.0) << site;
  const json series = Get(leaking, "/series");
  ASSERT_TRUE(series.is_array()) << site;
  ASSERT_GE(series.size(), 3u) << site;
  for (size_t i = 0; i < series.size(); ++i) {
    ASSERT_TRUE(series[i].is_array() && series[i].size() == 3) << site;
    if (i == 0) continue;
    EXPECT_GT(series[i][0].get<int64_t>(), series[i - 1][0].get<int64_t>()) << "time rises\n" << site;
    EXPECT_GE(series[i][1].get<int64_t>(), series[i - 1][1].get<int64_t>())
        << "no reader exits, so alive never falls\n" << site;
  }
  EXPECT_GE(series.back()[1].get<int64_t>(), series.front()[1].get<int64_t>() + 15) << site;

  const json ok = SiteOf(run.report, pid, "handle_request_ok");
  ASSERT_TRUE(ok.is_object()) << "no site handle_request_ok; " << SiteLabels(run.report) << "\n"
                              << context;
  const std::string ok_site = ok.dump(2);
  EXPECT_EQ(GetString(ok, "/verdict"), "ok") << ok_site;
  EXPECT_GE(GetInt(ok, "/exited"), 25) << ok_site;
  EXPECT_LE(GetInt(ok, "/alive"), 3) << ok_site;
  EXPECT_EQ(GetInt(ok, "/parked"), 0) << ok_site;
  EXPECT_LE(std::abs(GetInt(ok, "/created") - GetInt(ok, "/exited") - GetInt(ok, "/alive")), 1)
      << ok_site;
  ASSERT_TRUE(Get(ok, "/lifetime_ns").is_object()) << ok_site;
  const long min = GetInt(ok, "/lifetime_ns/min"), p50 = GetInt(ok, "/lifetime_ns/p50"),
             p99 = GetInt(ok, "/lifetime_ns/p99"), max = GetInt(ok, "/lifetime_ns/max");
  EXPECT_GE(min, 10'000'000) << "each worker sleeps 10 ms\n" << ok_site;
  EXPECT_LT(p50, 1'000'000'000) << ok_site;
  EXPECT_TRUE(min <= p50 && p50 <= p99 && p99 <= max) << ok_site;

  // The readers parked for at least --threshold, with where they wait.
  const std::vector<json> parked = ParkedLeaks(run.report, pid);
  long from_session = 0;
  for (const auto &leak : parked) {
    if (!CreatedIn(leak, "start_session_reader")) continue;
    from_session += GetInt(leak, "/count", 0);
    EXPECT_EQ(GetString(leak, "/blocked_in/syscall"), "futex") << leak.dump(2);
    EXPECT_TRUE(FramesContain(BlockedFrames(leak), "pthread_cond_wait")) << leak.dump(2);
    EXPECT_TRUE(FramesContain(BlockedFrames(leak), "session_reader")) << leak.dump(2);
    const json blocked_for = Get(leak, "/blocked_in/blocked_for_ns");
    EXPECT_TRUE(blocked_for.is_number() && blocked_for.get<int64_t>() >= 1'000'000'000)
        << "parked means parked for --threshold (1 s)\n" << leak.dump(2);
  }
  EXPECT_GE(from_session, 15) << context;
  for (const auto &leak : parked)
    EXPECT_FALSE(CreatedIn(leak, "handle_request_ok")) << "the short-lived workers are not parked\n"
                                                       << leak.dump(2);

  // The text report's verdict line (docs: "Text (verdicts first)").
  const std::regex verdict_line("threadleak: site start_session_reader \\(.*request_leaker\\.c:[0-9]+\\) in pid " +
                                server.pid_text() + " \\(request_leaker\\) is leaking: [0-9,]+ alive");
  EXPECT_TRUE(std::regex_search(run.text, verdict_line)) << "--- text report ---\n" << run.text;

  ExpectUntouched(server, /*grows=*/true, context);
}

// A pool of 8 workers created after attach and waiting forever: a flat count, so
// the site start_worker_pool is parked, not leaking; its 8 threads are listed as
// parked. The same pool created before attach is one site of threads created
// before attach, parked too.
TEST_F(AttachTest, IdlePoolIsParkedNotLeaking) {
  SKIP_UNLESS_ROOT();
  Target pool("idle_pool");
  Target early_pool("idle_pool", {"--before"});
  ASSERT_TRUE(pool.WaitReady()) << pool.Describe();
  ASSERT_TRUE(early_pool.WaitReady()) << early_pool.Describe();
  const Attach attach = StartAttach({"-p", pool.pid_text(), "--duration", "4s", "--interval", "500ms"});
  const Attach early_attach = StartAttach({"-p", early_pool.pid_text(), "--duration", "4s"});
  const bool attached = !WaitUntilAttached(attach.spawned.pid).links.empty();
  ASSERT_TRUE(pool.Send("go\n"));
  const bool started = pool.WaitForLine("started", seconds(5)).has_value();
  const AttachRun run = FinishAttach(attach);
  const AttachRun early_run = FinishAttach(early_attach);
  const std::string context = run.Describe();
  ASSERT_TRUE(attached) << "threadleak never held its BPF links\n" << context;
  ASSERT_TRUE(started) << pool.Describe();

  ASSERT_TRUE(run.report.is_object()) << context;
  const json site = SiteOf(run.report, pool.pid(), "start_worker_pool");
  ASSERT_TRUE(site.is_object()) << "no site start_worker_pool; " << SiteLabels(run.report) << "\n"
                                << context;
  const std::string text = site.dump(2);
  EXPECT_EQ(GetString(site, "/verdict"), "parked") << text;
  EXPECT_EQ(GetInt(site, "/created"), 8) << text;
  EXPECT_EQ(GetInt(site, "/exited"), 0) << text;
  EXPECT_EQ(GetInt(site, "/alive"), 8) << text;
  EXPECT_EQ(GetInt(site, "/parked"), 8) << text;
  EXPECT_TRUE(Get(site, "/lifetime_ns").is_null()) << "none of its threads ended\n" << text;
  for (const auto &s : SitesOf(run.report, pool.pid()))
    EXPECT_NE(GetString(s, "/verdict"), "leaking") << "a fixed pool leaks nothing\n" << context;
  const std::vector<json> parked = ParkedLeaks(run.report, pool.pid());
  long from_pool = 0;
  for (const auto &leak : parked) {
    ASSERT_TRUE(CreatedIn(leak, "start_worker_pool")) << leak.dump(2);
    from_pool += GetInt(leak, "/count", 0);
    EXPECT_TRUE(FramesContain(BlockedFrames(leak), "pthread_cond_wait")) << leak.dump(2);
    EXPECT_TRUE(FramesContain(BlockedFrames(leak), "pool_worker")) << leak.dump(2);
  }
  EXPECT_EQ(from_pool, 8) << context;
  EXPECT_EQ(run.exit_code, kLeakExitCode) << "parked threads were found\n" << context;

  const std::string early_context = early_run.Describe();
  ASSERT_TRUE(early_run.report.is_object()) << early_context;
  json early_site;
  for (const auto &s : SitesOf(early_run.report, early_pool.pid()))
    if (Get(s, "/created_before_attach") == true) early_site = s;
  ASSERT_TRUE(early_site.is_object()) << "no site of threads created before attach; "
                                      << SiteLabels(early_run.report) << "\n" << early_context;
  EXPECT_TRUE(Get(early_site, "/created_by").is_null()) << early_site.dump(2);
  EXPECT_EQ(GetString(early_site, "/verdict"), "parked") << early_site.dump(2);
  EXPECT_EQ(GetInt(early_site, "/parked"), 8) << early_site.dump(2);
  EXPECT_EQ(CountOf(ParkedLeaks(early_run.report, early_pool.pid())), 8) << early_context;

  ExpectUntouched(pool, /*grows=*/false, context);
  ExpectUntouched(early_pool, /*grows=*/false, early_context);
}

// 1,000 threads parked in read() on pipes before threadleak attaches: each is a
// parked thread created before attach (creation unknown, start time from /proc),
// blocked in read on a pipe in wait_for_input. With --baseline they are ignored:
// no parked leak, no site, exit code 0.
TEST_F(AttachTest, ThreadsParkedBeforeAttachAreListedAndBaselineIgnoresThem) {
  SKIP_UNLESS_ROOT();
  Target target("parked_before_attach", {"1000"});
  Target baseline_target("parked_before_attach", {"1000"});
  ASSERT_TRUE(target.WaitReady()) << target.Describe();
  ASSERT_TRUE(baseline_target.WaitReady()) << baseline_target.Describe();
  const uint64_t ready_unix_ns = UnixNowNs();
  const Attach attach = StartAttach({"-p", target.pid_text(), "--duration", "2500ms"});
  const Attach baseline_attach =
      StartAttach({"-p", baseline_target.pid_text(), "--duration", "2500ms", "--baseline"});
  const AttachRun run = FinishAttach(attach);
  const AttachRun baseline = FinishAttach(baseline_attach);
  const std::string context = run.Describe();

  EXPECT_EQ(run.exit_code, kLeakExitCode) << context;
  ASSERT_TRUE(run.report.is_object()) << context;
  const std::vector<json> parked = ParkedLeaks(run.report, target.pid());
  EXPECT_EQ(CountOf(parked), 1000) << context;
  std::set<long> tids;
  for (const auto &leak : parked) {
    const std::string group = leak.dump(2);
    for (const auto &tid : Get(leak, "/tids")) tids.insert(tid.get<long>());
    EXPECT_TRUE(leak.contains("created_by") && leak["created_by"].is_null()) << group;
    EXPECT_EQ(Get(leak, "/created_before_attach"), true) << group;
    EXPECT_EQ(GetString(leak, "/blocked_in/syscall"), "read") << group;
    EXPECT_EQ(GetString(leak, "/blocked_in/args/fd_kind"), "pipe") << group;
    EXPECT_TRUE(FramesContain(BlockedFrames(leak), "wait_for_input")) << group;
    const std::vector<uint64_t> starts = StartTimes(leak);
    EXPECT_EQ(starts.size(), Get(leak, "/tids").size())
        << "each thread created before attach has started_unix_ns\n" << group.substr(0, 4000);
    // /proc gives the start in clock ticks since boot, boot time in whole seconds.
    for (uint64_t start : starts) {
      EXPECT_GE(start, target.started_unix_ns() - 2'000'000'000ull) << group.substr(0, 4000);
      EXPECT_LE(start, ready_unix_ns + 2'000'000'000ull) << group.substr(0, 4000);
    }
  }
  EXPECT_EQ(tids.size(), 1000u) << "1000 distinct threads";
  json site;
  for (const auto &s : SitesOf(run.report, target.pid()))
    if (Get(s, "/created_before_attach") == true) site = s;
  ASSERT_TRUE(site.is_object()) << SiteLabels(run.report) << "\n" << context;
  EXPECT_TRUE(Get(site, "/created_by").is_null()) << site.dump(2);
  EXPECT_EQ(GetInt(site, "/parked"), 1000) << site.dump(2);
  EXPECT_NE(GetString(site, "/verdict"), "leaking") << site.dump(2);
  EXPECT_NE(run.text.find("created before attach"), std::string::npos) << run.text.substr(0, 4000);

  const std::string baseline_context = baseline.Describe();
  EXPECT_EQ(baseline.exit_code, 0) << baseline_context;
  ASSERT_TRUE(baseline.report.is_object()) << baseline_context;
  EXPECT_TRUE(ParkedLeaks(baseline.report, baseline_target.pid()).empty()) << baseline_context;
  EXPECT_EQ(GetInt(baseline.report, "/leaked_threads"), 0) << baseline_context;
  for (const auto &s : SitesOf(baseline.report, baseline_target.pid()))
    EXPECT_NE(Get(s, "/created_before_attach"), true)
        << "--baseline: threads alive at attach make no site\n" << s.dump(2);

  ExpectUntouched(target, false, context);
  ExpectUntouched(baseline_target, false, baseline_context);
}

// A process that forks after attach: the child is followed, and its
// child_leak_loop site (a parked thread every 100 ms) is reported under its pid.
TEST_F(AttachTest, ChildForkedAfterAttachIsFollowed) {
  SKIP_UNLESS_ROOT();
  Target parent("fork_after_attach");
  ASSERT_TRUE(parent.WaitReady()) << parent.Describe();
  const Attach attach = StartAttach({"-p", parent.pid_text(), "--duration", "4500ms", "--interval", "500ms"});
  const bool attached = !WaitUntilAttached(attach.spawned.pid).links.empty();
  ASSERT_TRUE(parent.Send("go\n"));
  const std::optional<std::string> child_line = parent.WaitForLine("child ", seconds(5));
  const AttachRun run = FinishAttach(attach);
  const std::string context = run.Describe();
  ASSERT_TRUE(attached) << "threadleak never held its BPF links\n" << context;
  ASSERT_TRUE(child_line.has_value()) << parent.Describe();
  const pid_t child = static_cast<pid_t>(std::stol(child_line->substr(6)));

  ASSERT_TRUE(run.report.is_object()) << context;
  EXPECT_EQ(run.exit_code, kLeakExitCode) << context;
  const json site = SiteOf(run.report, child, "child_leak_loop");
  ASSERT_TRUE(site.is_object()) << "no site child_leak_loop in the child (pid " << child << "); "
                                << SiteLabels(run.report) << "\n" << context;
  const std::string verdict = GetString(site, "/verdict");
  EXPECT_TRUE(verdict == "leaking" || verdict == "parked") << site.dump(2);
  EXPECT_GE(GetInt(site, "/created"), 20) << site.dump(2);
  EXPECT_EQ(GetInt(site, "/exited"), 0) << site.dump(2);
  long from_loop = 0;
  for (const auto &leak : ParkedLeaks(run.report, child))
    if (CreatedIn(leak, "child_leak_loop")) from_loop += GetInt(leak, "/count", 0);
  EXPECT_GE(from_loop, 10) << context;
  EXPECT_TRUE(SiteOf(run.report, parent.pid(), "child_leak_loop").is_null())
      << "the child's site is the child's\n" << context;
  EXPECT_EQ(kill(child, 0), 0) << "the child died\n" << context;
  ExpectUntouched(parent, false, context);
}

// --all --comm 'request_leak*': the leaking server is found among every process on
// the host, and the other fixture (idle_pool) is not reported at all.
TEST_F(AttachTest, AllWithCommFindsTheLeakingServerOnly) {
  SKIP_UNLESS_ROOT();
  Target server("request_leaker");
  Target other("idle_pool", {"--before"});
  ASSERT_TRUE(server.WaitReady()) << server.Describe();
  ASSERT_TRUE(other.WaitReady()) << other.Describe();
  const AttachRun run =
      RunAttach({"--all", "--comm", "request_leak*", "--duration", "4s", "--interval", "500ms"});
  const std::string context = run.Describe();

  EXPECT_EQ(run.exit_code, kLeakExitCode) << context;
  ASSERT_TRUE(run.report.is_object()) << context;
  const json site = SiteOf(run.report, server.pid(), "start_session_reader");
  ASSERT_TRUE(site.is_object()) << SiteLabels(run.report) << "\n" << context;
  EXPECT_EQ(GetString(site, "/verdict"), "leaking") << site.dump(2);
  EXPECT_TRUE(SitesOf(run.report, other.pid()).empty()) << context;
  const auto matches = [](const std::string &comm) {
    return fnmatch("request_leak*", comm.c_str(), 0) == 0;
  };
  for (const auto &s : Get(run.report, "/sites"))
    EXPECT_TRUE(matches(GetString(s, "/comm"))) << s.dump(2);
  for (const auto &leak : Get(run.report, "/leaks")) {
    EXPECT_NE(GetInt(leak, "/pid"), other.pid()) << leak.dump(2);
    EXPECT_TRUE(matches(GetString(leak, "/comm"))) << leak.dump(2);
  }
  for (const auto &process : Get(run.report, "/processes")) {
    EXPECT_NE(GetInt(process, "/pid"), other.pid()) << process.dump(2);
    EXPECT_TRUE(matches(GetString(process, "/comm"))) << process.dump(2);
  }
  const json pids = SessionValue(run.report, "pids");
  if (pids.is_array()) {
    EXPECT_EQ(std::count(pids.begin(), pids.end(), json(other.pid())), 0) << context;
  }
  ExpectUntouched(server, true, context);
  ExpectUntouched(other, false, context);
}

// After a --duration detach, every BPF program and link threadleak held is gone,
// and no program named like ours was left behind.
TEST_F(AttachTest, DetachLeavesNoBpfProgramOrLinkLoaded) {
  SKIP_UNLESS_ROOT();
  if (FindProgram("bpftool").empty()) GTEST_SKIP() << "bpftool is not installed";
  Target target("parked_before_attach", {"50"});
  ASSERT_TRUE(target.WaitReady()) << target.Describe();
  const BpfObjects before = BpfObjects::List();
  ASSERT_TRUE(before.ok) << "bpftool failed: " << before.error;
  const Attach attach = StartAttach({"-p", target.pid_text(), "--duration", "1500ms"});
  const HeldBpf held = WaitUntilAttached(attach.spawned.pid);
  const AttachRun run = FinishAttach(attach);
  const std::string context = run.Describe();
  EXPECT_TRUE(run.report.is_object()) << context;
  EXPECT_FALSE(held.links.empty()) << "threadleak never held a BPF link\n" << context;
  ExpectNoBpfLeftLoaded(before, held, attach.spawned.pid, context);
  ExpectUntouched(target, false, context);
}

// threadleak attach run under threadleak run: the inner one joins its threads
// before it exits, so the outer one reports no leak of it.
TEST_F(AttachTest, AttachItselfLeaksNoThread) {
  SKIP_UNLESS_ROOT();
  Target target("parked_before_attach", {"10"});
  ASSERT_TRUE(target.WaitReady()) << target.Describe();
  std::vector<std::string> inner{"build/threadleak", "attach", "-p", target.pid_text(),
                                 "--duration", "1s", "--baseline"};
  inner.insert(inner.end(), kQuick.begin(), kQuick.end());
  const RunResult run = RunCommand(inner);
  const std::string context = run.Describe();
  ASSERT_TRUE(run.report.is_object()) << context;
  EXPECT_EQ(GetInt(run.report, "/processes/0/exit_code"), 0)
      << "the inner attach found nothing (--baseline)\n" << context;
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 0) << context;
  EXPECT_TRUE(Get(run.report, "/leaks").empty()) << context;
  EXPECT_TRUE(Get(run.report, "/leaked_processes").empty()) << context;
  EXPECT_EQ(run.exit_code, 0) << context;
  ExpectUntouched(target, false, context);
}

class AttachSignalTest : public AttachTest {};

// Ctrl-C and SIGTERM during a long --duration: the final report is written, the
// exit code is the one without a signal (66: a leaking site), the servers keep
// running, and threadleak's BPF programs are gone.
TEST_F(AttachSignalTest, InterruptAndTerminateWriteTheReportAndDetach) {
  SKIP_UNLESS_ROOT();
  const bool have_bpftool = !FindProgram("bpftool").empty();
  Target interrupted("request_leaker"), terminated("request_leaker");
  ASSERT_TRUE(interrupted.WaitReady()) << interrupted.Describe();
  ASSERT_TRUE(terminated.WaitReady()) << terminated.Describe();
  const BpfObjects before = have_bpftool ? BpfObjects::List() : BpfObjects{};
  const Attach on_int = StartAttach({"-p", interrupted.pid_text(), "--duration", "60s", "--interval", "1s"});
  const Attach on_term = StartAttach({"-p", terminated.pid_text(), "--duration", "60s", "--interval", "1s"});
  const HeldBpf held_int = WaitUntilAttached(on_int.spawned.pid);
  const HeldBpf held_term = WaitUntilAttached(on_term.spawned.pid);
  // Past --min-observation (3 s), so the site has its verdict.
  std::this_thread::sleep_for(seconds(4));
  const auto signalled = Clock::now();
  kill(on_int.spawned.pid, SIGINT);
  kill(on_term.spawned.pid, SIGTERM);
  const auto guard = std::chrono::duration_cast<milliseconds>(signalled - on_int.spawned.start + seconds(5));
  const AttachRun run_int = FinishAttach(on_int, guard);
  const AttachRun run_term = FinishAttach(on_term, guard + seconds(1));
  const auto exit_delay = std::chrono::duration_cast<milliseconds>(Clock::now() - signalled);

  const struct {
    const char *signal;
    const AttachRun &run;
    const Target &target;
    const Attach &attach;
    const HeldBpf &held;
  } cases[] = {{"SIGINT", run_int, interrupted, on_int, held_int},
               {"SIGTERM", run_term, terminated, on_term, held_term}};
  for (const auto &c : cases) {
    const std::string context = std::string("after ") + c.signal + ": " + c.run.Describe();
    EXPECT_FALSE(c.run.guard_expired) << "threadleak did not exit within 5 s\n" << context;
    EXPECT_EQ(c.run.exit_code, kLeakExitCode) << context;
    ASSERT_TRUE(c.run.report.is_object()) << "no report written\n" << context;
    EXPECT_EQ(GetString(c.run.report, "/mode"), "attach") << context;
    const json site = SiteOf(c.run.report, c.target.pid(), "start_session_reader");
    ASSERT_TRUE(site.is_object()) << SiteLabels(c.run.report) << "\n" << context;
    EXPECT_EQ(GetString(site, "/verdict"), "leaking") << site.dump(2);
    EXPECT_TRUE(Get(c.run.report, "/signal").is_null()) << "the target got no signal\n" << context;
    ExpectUntouched(c.target, true, context);
    if (have_bpftool) ExpectNoBpfLeftLoaded(before, c.held, c.attach.spawned.pid, context);
  }
  EXPECT_LT(exit_delay, seconds(6));
}

class AttachErrorsTest : public AttachTest {
 protected:
  /// The run failed with `code` and one line on stderr that names `subject`.
  static void ExpectOneLineError(const AttachRun &run, int code, const std::string &subject,
                                 const std::string &what) {
    const std::string context = what + ": " + run.Describe();
    EXPECT_FALSE(run.guard_expired) << context;
    EXPECT_EQ(run.exit_code, code) << context;
    std::string err = run.err;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    EXPECT_FALSE(err.empty()) << context;
    EXPECT_EQ(err.find('\n'), std::string::npos) << "one line on stderr\n" << context;
    EXPECT_TRUE(err.starts_with("threadleak: ")) << context;
    EXPECT_NE(err.find(subject), std::string::npos) << "the message names " << subject << "\n" << context;
  }
};

/// A pid no process has: a child's, once reaped.
pid_t UnusedPid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

/// A kernel thread's pid (PF_KTHREAD in /proc/PID/stat), kthreadd's if visible.
pid_t KernelThread() {
  constexpr unsigned long kPfKthread = 0x00200000;
  for (pid_t pid : {2, 3, 4, 5, 6, 7, 8, 9, 10}) {
    const std::vector<std::string> fields = StatFields(pid);
    if (fields.size() > 6 && (std::stoul(fields[6]) & kPfKthread) != 0) return pid;
  }
  return -1;
}

// Bad input: an unknown pid (67), a kernel thread (65), threadleak itself (65), a
// junk --duration (64), a non-loopback --prometheus address without
// --prometheus-public (64), a --prometheus port in use (76): each a one-line
// error with its exit code. A pid that exits while threadleak attaches gets 67 or
// a normal report, never an internal error or a crash.
TEST_F(AttachErrorsTest, BadInputGetsOneLineAndItsExitCode) {
  SKIP_UNLESS_ROOT();
  Target target("idle_pool", {"--before"});
  ASSERT_TRUE(target.WaitReady()) << target.Describe();
  // A port in use: bound and listening here.
  const int busy = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(bind(busy, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
  ASSERT_EQ(listen(busy, 1), 0);
  ASSERT_EQ(getsockname(busy, reinterpret_cast<sockaddr *>(&address), &length), 0);
  const std::string port = std::to_string(ntohs(address.sin_port));

  const std::string unknown = std::to_string(UnusedPid());
  const pid_t kthread = KernelThread();
  const std::vector<std::string> once{"--duration", "1s"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), once.begin(), once.end());
    return StartAttach(args);
  };
  const Attach no_such = with({"-p", unknown});
  const std::optional<Attach> kernel =
      kthread > 0 ? std::optional<Attach>(with({"-p", std::to_string(kthread)})) : std::nullopt;
  const Attach junk = StartAttach({"-p", target.pid_text(), "--duration", "soon"});
  const Attach in_use = with({"-p", target.pid_text(), "--prometheus", "127.0.0.1:" + port});
  const Attach public_address = with({"-p", target.pid_text(), "--prometheus", "0.0.0.0:" + port});
  // threadleak attaching to itself: the shell's pid is threadleak's after exec.
  const SpawnedThreadleak itself = SpawnProgram(
      {"bash", "-c", "exec build/threadleak attach -p $$ --duration 1s -o /dev/null"});
  // A pid that exits (and is reaped at once) while threadleak attaches.
  const pid_t short_lived = fork();
  if (short_lived == 0) {
    execlp("sleep", "sleep", "0.05", static_cast<char *>(nullptr));
    _exit(127);
  }
  std::thread reaper([short_lived] { waitpid(short_lived, nullptr, 0); });
  const Attach vanishing = with({"-p", std::to_string(short_lived)});
  reaper.join();

  ExpectOneLineError(FinishAttach(no_such), kNoSuchProcessExit, unknown, "an unknown pid");
  if (kernel)
    ExpectOneLineError(FinishAttach(*kernel), kNotUserProcessExit, std::to_string(kthread),
                       "a kernel thread");
  ExpectOneLineError(FinishAttach(junk), kUsageExit, "soon", "--duration soon");
  ExpectOneLineError(FinishAttach(in_use), kAddressInUseExit, port, "a port in use");
  ExpectOneLineError(FinishAttach(public_address), kUsageExit, "--prometheus-public",
                     "a non-loopback address");
  AttachRun self_run;
  static_cast<RunResult &>(self_run) = CollectThreadleak(itself, seconds(20), /*reap_orphans=*/false);
  ExpectOneLineError(self_run, kNotUserProcessExit, std::to_string(itself.pid), "threadleak itself");
  close(busy);

  const AttachRun gone = FinishAttach(vanishing);
  const std::string context = "a pid that exits while attaching: " + gone.Describe();
  EXPECT_NE(gone.exit_code, kInternalExit) << context;
  EXPECT_LT(gone.exit_code, 128) << "threadleak crashed\n" << context;
  if (gone.exit_code == kNoSuchProcessExit) {
    ExpectOneLineError(gone, kNoSuchProcessExit, std::to_string(short_lived), "a pid that exited");
  } else {
    EXPECT_TRUE(gone.exit_code == 0 || gone.exit_code == kLeakExitCode) << context;
    EXPECT_TRUE(gone.report.is_object()) << "it was attached: it writes its report\n" << context;
  }
  if (!kernel) RecordProperty("note", "no kernel thread visible in this pid namespace: not tried");
}

class AttachScaleTest : public AttachTest {};

/// Thread ids this host can still hand out: kernel.pid_max less the threads that
/// exist (/proc/loadavg's "running/total").
long FreeThreadIds() {
  long pid_max = 0;
  std::ifstream("/proc/sys/kernel/pid_max") >> pid_max;
  const std::string loadavg = ReadFile("/proc/loadavg");
  const size_t slash = loadavg.find('/');
  const long total = slash == std::string::npos ? 0 : std::strtol(loadavg.c_str() + slash + 1, nullptr, 10);
  return pid_max - total;
}

// 10,000 threads parked before attach: the first report (after 2 s) lists all of
// them, each once. How fast is measured by `make bench` (scripts/bench-attach.sh).
TEST_F(AttachScaleTest, TenThousandParkedThreadsAreAllListed) {
  SKIP_UNLESS_ROOT();
  if (const long free_ids = FreeThreadIds(); free_ids < 12000)
    GTEST_SKIP() << "only " << free_ids << " thread ids free on this host (kernel.pid_max less the "
                 << "threads that exist): 10,000 more threads do not fit";
  Target target("parked_before_attach", {"10000"});
  ASSERT_TRUE(target.WaitReady(seconds(30))) << target.Describe();
  const AttachRun run = RunAttach({"-p", target.pid_text(), "--duration", "2s"});
  const std::string context = "threadleak exit code " + std::to_string(run.exit_code) + " after " +
                              std::to_string(run.duration.count()) + " ms\n--- stderr ---\n" +
                              Abridged(run.err);
  EXPECT_EQ(run.exit_code, kLeakExitCode) << context;
  ASSERT_TRUE(run.report.is_object()) << context;
  const std::vector<json> parked = ParkedLeaks(run.report, target.pid());
  std::set<long> tids;
  for (const auto &leak : parked) {
    for (const auto &tid : Get(leak, "/tids")) tids.insert(tid.get<long>());
    EXPECT_EQ(Get(leak, "/created_before_attach"), true) << context;
    EXPECT_EQ(GetString(leak, "/blocked_in/syscall"), "read") << context;
  }
  EXPECT_EQ(CountOf(parked), 10000) << context;
  EXPECT_EQ(tids.size(), 10000u) << context;
  size_t real = 0;
  for (long tid : tids)
    real += fs::exists("/proc/" + target.pid_text() + "/task/" + std::to_string(tid));
  EXPECT_EQ(real, tids.size()) << "every listed tid is a thread of the target";
  RecordProperty("peak_rss_kib", static_cast<int>(run.peak_rss_kib));
  ExpectUntouched(target, false, context);
}

}  // namespace
