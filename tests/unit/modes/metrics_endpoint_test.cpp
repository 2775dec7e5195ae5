// attach --prometheus: a MetricsEndpoint on 127.0.0.1 serves the last
// published report at /metrics (read here over a plain socket), refuses a busy
// or public address, and leaves no thread behind.
#include "modes/metrics_endpoint.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>

#include "../../support/exposition.h"
#include "../../support/http_get.h"
#include "common/errors.h"

using namespace threadleak;
using threadleak_test::Exposition;
using threadleak_test::HttpGet;
using threadleak_test::ParseExposition;

namespace {

Report OneSite(const std::string& label, uint64_t alive, SiteVerdict verdict = SiteVerdict::Leaking) {
    Report r;
    r.session.mode = Mode::Attach;
    r.session.duration_ns = 2'000'000'000;
    CreationSite s;
    s.pid = 4242;
    s.comm = "server";
    s.label = label;
    s.verdict = verdict;
    s.alive = alive;
    s.created = alive;
    r.sites.push_back(s);
    return r;
}

Exposition Scrape(const MetricsEndpoint& endpoint) {
    const auto response = HttpGet(endpoint.url());
    EXPECT_EQ(response.status, 200) << response.error << response.headers;
    Exposition e = ParseExposition(response.body);
    EXPECT_EQ(e.error, "") << response.body;
    return e;
}

size_t ThreadCount() {
    size_t n = 0;
    DIR* dir = opendir("/proc/self/task");
    while (dirent* entry = readdir(dir)) n += entry->d_name[0] != '.';
    closedir(dir);
    return n;
}

/// A socket listening on 127.0.0.1 at a port the system picked.
struct Listener {
    int fd = -1;
    int port = 0;
    Listener() {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof sa;
        if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 && listen(fd, 1) == 0 &&
            getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0)
            port = ntohs(sa.sin_port);
    }
    ~Listener() { close(fd); }
};

std::optional<UserError> ConstructionError(const std::string& address, bool allow_public = false) {
    try {
        MetricsEndpoint endpoint(address, allow_public);
        return std::nullopt;
    } catch (const UserError& e) {
        return e;
    }
}

}  // namespace

TEST(MetricsEndpoint, ServesThePublishedReportOnThePortItPicked) {
    MetricsEndpoint endpoint("127.0.0.1:0", false);
    ASSERT_EQ(endpoint.url().rfind("http://127.0.0.1:", 0), 0u) << endpoint.url();
    EXPECT_NE(endpoint.url(), "http://127.0.0.1:0/metrics");
    EXPECT_TRUE(Scrape(endpoint).Find("threadleak_site_threads_alive").empty());  // nothing published yet

    endpoint.publish(OneSite("start_session_reader (server.c:42)", 57));
    const Exposition e = Scrape(endpoint);
    const auto alive = e.Find("threadleak_site_threads_alive",
                              {{"pid", "4242"}, {"site", "start_session_reader (server.c:42)"}, {"verdict", "leaking"}});
    ASSERT_EQ(alive.size(), 1u);
    EXPECT_EQ(alive[0].value, 57);
    EXPECT_EQ(e.Find("threadleak_site_leaking").at(0).value, 1);
    EXPECT_EQ(e.Find("threadleak_observed_seconds").at(0).value, 2);
}

TEST(MetricsEndpoint, APublishReplacesEverySeriesOfTheLast) {
    MetricsEndpoint endpoint("localhost:0", false);
    endpoint.publish(OneSite("old_site", 3, SiteVerdict::TooEarly));
    ASSERT_EQ(Scrape(endpoint).Find("threadleak_site_threads_alive", {{"site", "old_site"}}).size(), 1u);
    endpoint.publish(OneSite("new_site", 4));
    const Exposition e = Scrape(endpoint);
    for (const auto& s : e.samples) EXPECT_NE(s.labels.count("site") ? s.labels.at("site") : "", "old_site") << s.name;
    EXPECT_EQ(e.Find("threadleak_site_threads_alive", {{"site", "new_site"}}).at(0).value, 4);
}

TEST(MetricsEndpoint, OnlyMetricsIsServed) {
    MetricsEndpoint endpoint("127.0.0.1:0", false);
    std::string host, path;
    int port = 0;
    ASSERT_TRUE(threadleak_test::SplitUrl(endpoint.url(), &host, &port, &path));
    EXPECT_EQ(path, "/metrics");
    EXPECT_EQ(HttpGet(host, port, "/").status, 404);
    EXPECT_EQ(HttpGet(host, port, "/etc/passwd").status, 404);
}

TEST(MetricsEndpoint, ABusyPortIsExitCode76NamingTheFix) {
    Listener busy;
    ASSERT_NE(busy.port, 0);
    const std::string address = "127.0.0.1:" + std::to_string(busy.port);
    const auto error = ConstructionError(address);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->exit_code(), 76);
    EXPECT_EQ(error->exit_code(), exit_code::kAddressInUse);
    EXPECT_EQ(std::string(error->what()),
              "--prometheus " + address +
                  ": address in use (another program listens there): choose a free port, or port 0 to let the "
                  "system pick one");

    MetricsEndpoint first("127.0.0.1:0", false);  // and a second endpoint on the first's port
    const std::string taken = first.url().substr(7, first.url().size() - 7 - 8);
    ASSERT_EQ(ConstructionError(taken).value_or(UserError(0, "none")).exit_code(), exit_code::kAddressInUse);
}

TEST(MetricsEndpoint, AnAddressOfNoInterfaceHereIsExitCode76) {
    const auto error = ConstructionError("192.0.2.1:0", true);  // TEST-NET-1: on no host
    ASSERT_TRUE(error);
    EXPECT_EQ(error->exit_code(), exit_code::kAddressInUse);
    EXPECT_EQ(std::string(error->what()),
              "--prometheus 192.0.2.1:0: cannot listen there: Cannot assign requested address (not an address of "
              "this host)");
}

TEST(MetricsEndpoint, APublicAddressWithoutTheFlagIsAUsageError) {
    const auto error = ConstructionError("0.0.0.0:0");
    ASSERT_TRUE(error);
    EXPECT_EQ(error->exit_code(), exit_code::kUsage);
    EXPECT_NE(std::string(error->what()).find("pass --prometheus-public to serve it beyond this host"),
              std::string::npos);
    EXPECT_FALSE(ConstructionError("0.0.0.0:0", true));
}

TEST(MetricsEndpoint, ItsThreadsAreJoinedWhenItIsDestroyed) {
    const size_t before = ThreadCount();
    auto endpoint = std::make_unique<MetricsEndpoint>("127.0.0.1:0", false);
    endpoint->publish(OneSite("x", 1));
    ASSERT_EQ(Scrape(*endpoint).Find("threadleak_site_threads_alive").size(), 1u);
    EXPECT_GT(ThreadCount(), before);
    const auto start = std::chrono::steady_clock::now();
    endpoint.reset();
    EXPECT_EQ(ThreadCount(), before);
    // Not civetweb's 2 s poll: attach exits as soon as its report is out.
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
}
