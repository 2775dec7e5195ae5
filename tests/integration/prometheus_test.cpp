// attach --prometheus, read back through a real Prometheus server (Debian's
// prometheus, started here on 127.0.0.1 with a config written here, scraping
// every second): first a MetricsEndpoint in this process publishing a report
// made here (hostile labels included: the server's parser must accept them),
// then `threadleak attach` on a fixture that leaks a parked thread every 100 ms
// (tests/fixtures/attach/request_leaker.c).
#include "run_harness.h"

#include <spawn.h>

#include "formats/prometheus_metrics.h"
#include "modes/metrics_endpoint.h"
#include "prometheus_server.h"

namespace {

using namespace threadleak_test;
using json = nlohmann::json;

constexpr const char *kLeakingSite = "start_session_reader (server.c:42)";
const std::string kHostileSite = std::string("evil \"quoted\" back\\slash\nnewline") + '\0' + " \xff\xfe end";

threadleak::CreationSite Site(const std::string &label, threadleak::SiteVerdict verdict, uint64_t alive) {
  threadleak::CreationSite s;
  s.pid = 4242;
  s.comm = "server";
  s.label = label;
  s.verdict = verdict;
  s.alive = alive;
  s.parked = alive;
  s.created = alive;
  return s;
}

/// The series of `result` whose site label is `site`, or null.
json WithSite(const json &result, const std::string &site) {
  for (const auto &series : result)
    if (series["metric"].value("site", "") == site) return series;
  return nullptr;
}

/// A running fixture with its stdout on a pipe; killed when it goes.
class Fixture {
 public:
  explicit Fixture(const std::string &path) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) std::abort();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    char *argv[] = {const_cast<char *>(path.c_str()), nullptr};
    if (posix_spawn(&pid_, path.c_str(), &actions, nullptr, argv, environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    out_fd_ = out[0];
  }
  Fixture(const Fixture &) = delete;
  Fixture &operator=(const Fixture &) = delete;
  ~Fixture() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(out_fd_);
  }
  pid_t pid() const { return pid_; }

  /// True once it printed `line` within `patience`.
  bool WaitForLine(const std::string &line, std::chrono::milliseconds patience) {
    const auto deadline = Clock::now() + patience;
    std::string seen;
    while (Clock::now() < deadline) {
      pollfd fd{out_fd_, POLLIN, 0};
      if (poll(&fd, 1, 100) <= 0) continue;
      char buffer[256];
      const ssize_t n = read(out_fd_, buffer, sizeof buffer);
      if (n <= 0) return false;
      seen.append(buffer, static_cast<size_t>(n));
      if (seen.find(line + "\n") != std::string::npos) return true;
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
};

class PrometheusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kPrometheusBinary, X_OK) != 0)
      GTEST_FAIL() << kPrometheusBinary << " is missing: run scripts/install-deps.sh (Debian package prometheus)";
  }
};

}  // namespace

TEST_F(PrometheusTest, RealServerScrapesEndpoint) {
  threadleak::MetricsEndpoint endpoint("127.0.0.1:0", false);
  threadleak::Report report;
  report.session.mode = threadleak::Mode::Attach;
  report.session.duration_ns = 5'000'000'000;
  report.sites = {Site(kLeakingSite, threadleak::SiteVerdict::Leaking, 57),
                  Site(kHostileSite, threadleak::SiteVerdict::TooEarly, 3)};
  report.sites[0].slope_per_min = 34.5;
  endpoint.publish(report);

  std::string host, path;
  int port = 0;
  ASSERT_TRUE(SplitUrl(endpoint.url(), &host, &port, &path)) << endpoint.url();
  PrometheusServer prometheus(host + ":" + std::to_string(port));
  ASSERT_TRUE(prometheus.Ready()) << "Prometheus did not start:\n" << prometheus.Log();

  const json alive = prometheus.QueryUntil("threadleak_site_threads_alive",
                                           [](const json &r) { return r.size() == 2; });
  ASSERT_EQ(alive.size(), 2u) << alive.dump(2) << "\n" << prometheus.Api("/api/v1/targets").dump(2) << "\n"
                              << prometheus.Log();
  const json leaking = WithSite(alive, kLeakingSite);
  ASSERT_FALSE(leaking.is_null()) << alive.dump(2);
  EXPECT_EQ(PrometheusServer::ValueOf(leaking), 57);
  EXPECT_EQ(leaking["metric"],
            json({{"__name__", "threadleak_site_threads_alive"}, {"comm", "server"}, {"instance", host + ":" + std::to_string(port)},
                  {"job", "threadleak"}, {"pid", "4242"}, {"site", kLeakingSite}, {"verdict", "leaking"}}));
  // The hostile label reached the server's storage as threadleak made it valid.
  const json hostile = WithSite(alive, threadleak::prometheus_label_value(kHostileSite));
  ASSERT_FALSE(hostile.is_null()) << alive.dump(2);
  EXPECT_EQ(PrometheusServer::ValueOf(hostile), 3);
  EXPECT_EQ(hostile["metric"]["site"], "evil \"quoted\" back\\slash\xef\xbf\xbdnewline\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd end");

  const json flag = prometheus.Query("threadleak_site_leaking{site=\"" + std::string(kLeakingSite) + "\"}");
  ASSERT_EQ(flag.size(), 1u) << flag.dump(2);
  EXPECT_EQ(PrometheusServer::ValueOf(flag[0]), 1);
  const json slope = prometheus.Query("threadleak_site_slope_per_minute");
  ASSERT_EQ(slope.size(), 1u) << slope.dump(2);
  EXPECT_EQ(PrometheusServer::ValueOf(slope[0]), 34.5);
  const json up = prometheus.Query("up{job=\"threadleak\"}");
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(PrometheusServer::ValueOf(up[0]), 1);
  const json targets = prometheus.Api("/api/v1/targets");
  ASSERT_EQ(targets["data"]["activeTargets"].size(), 1u) << targets.dump(2);
  EXPECT_EQ(targets["data"]["activeTargets"][0]["lastError"], "") << targets.dump(2);

  // A publish without the hostile site: the server marks its series stale.
  report.sites.pop_back();
  report.sites[0].alive = 60;
  endpoint.publish(report);
  const json after = prometheus.QueryUntil("threadleak_site_threads_alive", [](const json &r) {
    return r.size() == 1 && PrometheusServer::ValueOf(r[0]) == 60;
  });
  ASSERT_EQ(after.size(), 1u) << after.dump(2);
  EXPECT_EQ(after[0]["metric"]["site"], kLeakingSite);
  EXPECT_EQ(PrometheusServer::ValueOf(after[0]), 60);
}

TEST_F(PrometheusTest, RealServerScrapesAttach) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs (run make test as root)";
  const std::string fixture = (RepoRoot() / "build/fixtures/attach/request_leaker").string();
  ASSERT_TRUE(fs::exists(fixture)) << fixture << " is missing: run `make fixtures` first";
  Fixture leaker(fixture);
  ASSERT_TRUE(leaker.WaitForLine("ready", std::chrono::seconds(5)));
  const std::string pid = std::to_string(leaker.pid());

  const int port = FreeLoopbackPort();
  const std::string address = "127.0.0.1:" + std::to_string(port);
  const std::string dir = MakeTempDir();
  const SpawnedThreadleak threadleak =
      SpawnThreadleak({"attach", "-p", pid, "--prometheus", address, "--interval", "1s", "--threshold", "1s",
                       "--min-observation", "3s", "--duration", "40s", "--format", "json", "-o",
                       dir + "/report.json"});
  PrometheusServer prometheus(address);
  ASSERT_TRUE(prometheus.Ready()) << "Prometheus did not start:\n" << prometheus.Log();

  // The creating function, with its file and line, names the site.
  const std::string selector = "threadleak_site_threads_alive{pid=\"" + pid + "\",site=~\"start_session_reader.*\"}";
  const auto one = [](const json &r) { return r.size() == 1; };
  const json first = prometheus.QueryUntil(selector, one);
  const std::string failure_context = prometheus.Api("/api/v1/targets").dump(2) + "\n" + prometheus.Log();
  ASSERT_EQ(first.size(), 1u) << failure_context;
  const std::string site = first[0]["metric"]["site"];
  EXPECT_TRUE(site.starts_with("start_session_reader (request_leaker.c:")) << site;
  EXPECT_EQ(first[0]["metric"]["comm"], "request_leaker");

  // Ten threads a second: the series rises between scrapes.
  const double before = PrometheusServer::ValueOf(first[0]);
  const json later = prometheus.QueryUntil(
      selector, [&](const json &r) { return r.size() == 1 && PrometheusServer::ValueOf(r[0]) >= before + 10; });
  ASSERT_EQ(later.size(), 1u) << failure_context;
  EXPECT_GE(PrometheusServer::ValueOf(later[0]), before + 10) << later.dump(2);

  // Past --min-observation the growth rule says it leaks.
  const json leaking = prometheus.QueryUntil(
      "threadleak_site_leaking{pid=\"" + pid + "\",site=\"" + site + "\"} == 1", one);
  EXPECT_EQ(leaking.size(), 1u) << prometheus.Query("threadleak_site_leaking").dump(2) << "\n"
                                << prometheus.Query("threadleak_site_threads_alive").dump(2);
  const json verdict = prometheus.Query(selector);
  ASSERT_EQ(verdict.size(), 1u);
  EXPECT_EQ(verdict[0]["metric"]["verdict"], "leaking");
  // Its other site's workers exit after 10 ms: created and exited rise, it does not leak.
  const json ok = prometheus.Query("threadleak_site_leaking{pid=\"" + pid + "\",site=~\"handle_request_ok.*\"}");
  ASSERT_EQ(ok.size(), 1u) << prometheus.Query("threadleak_site_leaking").dump(2);
  EXPECT_EQ(PrometheusServer::ValueOf(ok[0]), 0);
  const json exited =
      prometheus.Query("threadleak_site_threads_exited_total{pid=\"" + pid + "\",site=~\"handle_request_ok.*\"}");
  ASSERT_EQ(exited.size(), 1u);
  EXPECT_GE(PrometheusServer::ValueOf(exited[0]), 10);

  kill(threadleak.pid, SIGINT);
  RunResult run = CollectThreadleak(threadleak);
  fs::remove_all(dir);
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  EXPECT_NE(run.err.find("threadleak: serving http://" + address + "/metrics"), std::string::npos) << run.Describe();
  // The endpoint went with threadleak.
  EXPECT_EQ(HttpGet("127.0.0.1", port, "/metrics").status, 0);
}
