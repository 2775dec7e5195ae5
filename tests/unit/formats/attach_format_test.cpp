// Attach reports in the text, json and html formats: the verdicts first (a
// leaking site's entry, parked threads, created before attach with their
// start time), the site table and the summary, word for word; the json keys
// attach adds, and that a run report does not get them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "formats/report_format.h"
#include "formats/text_sites.h"

namespace threadleak {
namespace {

using json = nlohmann::json;

constexpr const char* kLibc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
constexpr const char* kServer = "/usr/bin/server";
constexpr uint64_t kSecond = 1'000'000'000;
constexpr int64_t kAttachUnixNs = 1'796'320'800'000'000'000;  // 2026-12-03T18:00:00Z

/// Local times in these tests are UTC's.
class AttachFormat : public ::testing::Test {
protected:
    void SetUp() override {
        if (const char* tz = std::getenv("TZ")) saved_tz_ = tz;
        setenv("TZ", "UTC", 1);
        tzset();
    }
    void TearDown() override {
        if (saved_tz_) setenv("TZ", saved_tz_->c_str(), 1);
        else unsetenv("TZ");
        tzset();
    }

private:
    std::optional<std::string> saved_tz_;
};

Frame frame(std::optional<std::string> function, const std::string& module, uint64_t offset,
            std::optional<std::string> file = std::nullopt, std::optional<int> line = std::nullopt) {
    Frame f;
    f.function = std::move(function);
    f.module = module;
    f.offset = offset;
    f.address = 0x7f3e9c200000 + offset;
    f.file = std::move(file);
    f.line = line;
    return f;
}

Stack reader_creation() {
    return {frame("__clone3", kLibc, 0x11c3c0), frame("start_session_reader", kServer, 0x4200, "/src/server.c", 42)};
}

/// The spec's example: 57 readers, none exited, rising by 34.2 a minute.
CreationSite leaking_site() {
    CreationSite s;
    s.pid = 4242;
    s.comm = "server";
    s.exe = kServer;
    s.label = "start_session_reader (server.c:42)";
    s.created_by = reader_creation();
    s.verdict = SiteVerdict::Leaking;
    s.created = 57;
    s.alive = 57;
    s.parked = 50;
    s.slope_per_min = 34.2;
    s.projected_24h = 57 + 34.2 * 1440;
    for (uint64_t i = 0; i < 6; ++i) s.series.push_back({i * 20 * kSecond, 17 + i * 8, i ? 10 + i * 8 : 12});
    return s;
}

CreationSite idle_pool_site() {
    CreationSite s;
    s.pid = 4242;
    s.comm = "server";
    s.exe = kServer;
    s.label = "Pool::Pool(int) (pool.cpp:7)";
    s.verdict = SiteVerdict::Parked;
    s.created = 4;
    s.alive = 4;
    s.parked = 4;
    s.slope_per_min = -0.01;  // prints as +0.0, not -0.0
    s.projected_24h = 4;
    s.lifetime_ns = Lifetimes{1'500'000, 2'000'000, 900'000'000, 61 * kSecond};
    return s;
}

/// One thread of pid 4242 parked in a futex with no timeout, for 72 s.
LeakGroup parked_group(int tid, std::optional<int> creator) {
    LeakGroup g;
    g.kind = LeakKind::Parked;
    g.threads = {{4242, kServer, tid, "reader", creator}};
    if (creator) g.created_by = reader_creation();
    BlockedIn b;
    b.nr = 202;
    b.syscall = "futex";
    b.args = {{"uaddr", ArgType::Address, 0x55d0c3e0e0a8}, {"op", ArgType::FutexOp, 128}, {"val", ArgType::Int, 0},
              {"timeout", ArgType::Timeout, 0}};
    b.futex = FutexFact{.uaddr = 0x55d0c3e0e0a8, .op = 128, .cmd = FutexCmd::Wait, .is_private = true, .val = 0};
    b.timeout = TimeoutFact{.form = TimeoutForm::None};
    b.blocked_for = BlockedFor{72 * kSecond, true};
    b.frames = {frame("__futex_abstimed_wait_common64", kLibc, 0x8ab2c)};
    g.blocked_in = b;
    return g;
}

LeakGroup parked_before_attach() {
    LeakGroup g = parked_group(4300, std::nullopt);
    g.created_before_attach = true;
    g.threads[0].start_unix_ns = kAttachUnixNs - 59 * static_cast<int64_t>(kSecond);
    return g;
}

Report attach_report() {
    Report r;
    r.session.mode = Mode::Attach;
    r.session.pids = {4242};
    r.session.duration_ns = 60 * kSecond + 400'000'000;
    r.session.parked_threshold_ns = 10 * kSecond;
    r.session.min_observation_ns = 30 * kSecond;
    r.processes = {{4242, 1, kServer, "server", std::nullopt, std::nullopt}};
    r.leaks = {parked_group(4301, 4242), parked_before_attach()};
    r.sites = {leaking_site(), idle_pool_site()};
    return r;
}

std::string render(const std::string& format, const Report& r) {
    std::ostringstream out;
    make_report_format(format)->write(r, out);
    return out.str();
}

std::vector<std::string> keys_in_order(const nlohmann::ordered_json& obj) {
    std::vector<std::string> keys;
    for (auto it = obj.begin(); it != obj.end(); ++it) keys.push_back(it.key());
    return keys;
}

TEST_F(AttachFormat, LeakingSiteEntryLeadsWithItsGrowthThenItsCreationStack) {
    std::ostringstream out;
    write_text_leaking_site(leaking_site(), out);
    EXPECT_EQ(out.str(),
              "==4242== threadleak: site start_session_reader (server.c:42) in pid 4242 (server) is leaking: 57 alive "
              "(+34.2/min, 49,305 projected in 24 h), 0 of 57 created exited\n"
              "==4242==   over 1m40s (6 points): alive 17 -> 57, parked 12 -> 50\n"
              "==4242==   its threads are created at:\n"
              "    #0 0x00007f3e9c31c3c0 in __clone3 (/usr/lib/x86_64-linux-gnu/libc.so.6+0x11c3c0)\n"
              "    #1 0x00007f3e9c204200 in start_session_reader /src/server.c:42 (/usr/bin/server+0x4200)\n"
              "\n");
}

TEST_F(AttachFormat, ParkedThreadsSayHowLongInWhatAndThatNothingWokeThem) {
    const std::string text = render("text", attach_report());
    EXPECT_NE(text.find("==4242== threadleak: thread T4301 \"reader\" of pid 4242 (/usr/bin/server) was parked for "
                        "1m12s in futex (no timeout, not woken once)\n"
                        "==4242==   blocked in futex(uaddr=0x55d0c3e0e0a8, op=FUTEX_WAIT_PRIVATE, val=0, "
                        "timeout=none) for 72.00s\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("==4242==   created by thread T4242 at:\n"), std::string::npos) << text;
}

TEST_F(AttachFormat, ThreadsCreatedBeforeAttachShowTheirStartTime) {
    std::string text = render("text", attach_report());
    EXPECT_NE(text.find("    #0 0x00007f3e9c28ab2c in __futex_abstimed_wait_common64 "
                        "(/usr/lib/x86_64-linux-gnu/libc.so.6+0x8ab2c)\n"
                        "==4242==   created before attach, started 2026-12-03 17:59:01\n\n"),
              std::string::npos)
        << text;

    Report r = attach_report();
    LeakGroup& g = r.leaks[1];
    g.threads.push_back(g.threads[0]);
    g.threads[1].tid = 4302;
    g.threads[1].start_unix_ns = kAttachUnixNs - 30 * static_cast<int64_t>(kSecond);
    g.threads.push_back(g.threads[0]);
    g.threads[2].tid = 4303;
    g.threads[2].start_unix_ns.reset();
    text = render("text", r);
    EXPECT_NE(text.find("was parked for up to 1m12s in futex (no timeout, not woken once)\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("==4242==   created before attach, started between 2026-12-03 17:59:01 and "
                        "2026-12-03 17:59:30\n"),
              std::string::npos)
        << text;

    for (ThreadIdentity& t : g.threads) t.start_unix_ns.reset();
    g.threads = {g.threads[0]};
    g.threads[0].tid = 4242;  // the main thread
    text = render("text", r);
    EXPECT_NE(text.find("==4242== threadleak: main thread T4242 \"reader\""), std::string::npos) << text;
    EXPECT_NE(text.find("==4242==   created before attach (the process's main thread), start time unknown\n"),
              std::string::npos)
        << text;
}

TEST_F(AttachFormat, TextPutsVerdictsFirstThenTheSiteTableThenTheSummary) {
    const std::string text = render("text", attach_report());
    const size_t site = text.find("threadleak: site start_session_reader");
    const size_t parked = text.find("threadleak: thread T4301");
    const size_t before = text.find("threadleak: thread T4300");
    const size_t table = text.find("threadleak: statistics of 2 creation sites:\n");
    const size_t summary = text.find("SUMMARY: ");
    ASSERT_NE(site, std::string::npos) << text;
    EXPECT_LT(site, parked);
    EXPECT_LT(parked, before);
    EXPECT_LT(before, table);
    EXPECT_LT(table, summary);
    EXPECT_EQ(text.substr(table),
              "threadleak: statistics of 2 creation sites:\n"
              "  verdict  created  exited  alive  parked  lifetime min/p50/p99/max       slope/min  in 24 h  site\n"
              "  leaking       57       0     57      50  -                                  +34.2   49,305  "
              "pid 4242 (server): start_session_reader (server.c:42)\n"
              "  parked         4       0      4       4  1.50ms/2.00ms/900.00ms/61.00s       +0.0        4  "
              "pid 4242 (server): Pool::Pool(int) (pool.cpp:7)\n"
              "\n"
              "SUMMARY: threadleak: attach to 1 process for 1m0s: 1 leaking site, 2 parked threads\n");
}

TEST_F(AttachFormat, SummarySaysTooEarlyWhenNoSiteHasAVerdictYet) {
    Report r = attach_report();
    r.session.pids = {4242, 4343};
    r.session.duration_ns = 12 * kSecond + 300'000'000;
    for (CreationSite& s : r.sites) s.verdict = SiteVerdict::TooEarly;
    std::string text = render("text", r);
    EXPECT_NE(text.find("\nSUMMARY: threadleak: attach to 2 processes for 12s: too early to tell: observed 12s of "
                        "the 30s --min-observation needs; 2 parked threads\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("is leaking"), std::string::npos) << text;
    EXPECT_NE(text.find("\n  too early       57       0     57      50  -  "), std::string::npos) << text;

    r.sites[1].verdict = SiteVerdict::Ok;  // one site has a verdict: no longer too early as a whole
    text = render("text", r);
    EXPECT_NE(text.find("for 12s: 0 leaking sites, 2 parked threads\n"), std::string::npos) << text;
}

TEST_F(AttachFormat, SummaryCountsThreadsUnjoinedWhenATargetExitedAndTheLostEvents) {
    Report r = attach_report();
    r.sites.clear();
    LeakGroup unjoined = parked_group(4310, 4242);
    unjoined.kind = LeakKind::Unjoined;
    r.leaks.push_back(unjoined);
    r.health.ringbuf_drops = 2;
    const std::string text = render("text", r);
    EXPECT_EQ(text.find("statistics of"), std::string::npos) << "no table without sites: " << text;
    EXPECT_NE(text.find("\nSUMMARY: threadleak: attach to 1 process for 1m0s: 0 leaking sites, 2 parked threads, "
                        "1 thread never joined when its process exited; 2 records dropped (ring buffer full): "
                        "the report may be incomplete; raise --ringbuf-size\n"),
              std::string::npos)
        << text;
}

TEST_F(AttachFormat, TargetStringsOfSitesAreEscapedInTheText) {
    Report r = attach_report();
    r.sites[0].comm = "srv\x1b[2J";
    r.sites[0].label = "evil\n==1== fake\xe2\x80\xae";
    r.sites[1].label = "bad\xff";
    const std::string text = render("text", r);
    EXPECT_NE(text.find("==4242== threadleak: site evil\\x0a==1== fake\\u202e in pid 4242 (srv\\x1b[2J) is leaking"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("pid 4242 (srv\\x1b[2J): evil\\x0a==1== fake\\u202e\n"), std::string::npos) << text;
    EXPECT_NE(text.find("pid 4242 (server): bad\\xff\n"), std::string::npos) << text;
    EXPECT_EQ(text.find('\x1b'), std::string::npos);
    EXPECT_EQ(text.find("\xe2\x80\xae"), std::string::npos);
    EXPECT_EQ(text.find("\n==1== fake"), std::string::npos);
}

TEST_F(AttachFormat, JsonSessionOfAnAttachReport) {
    const std::string text = render("json", attach_report());
    const auto j = nlohmann::ordered_json::parse(text);
    EXPECT_EQ(keys_in_order(j), (std::vector<std::string>{
                                    "schema", "mode", "command", "pids", "duration_ns", "parked_threshold_ns",
                                    "min_observation_ns", "exit_code", "signal", "timed_out", "wakes_tracked", "lost_events", "health",
                                    "leaked_threads", "leaked_goroutines", "processes", "leaks", "alive_at_crash", "leaked_processes",
                                    "deadlocks", "timers", "suppressed", "sites"}));
    EXPECT_EQ(j["mode"], "attach");
    EXPECT_EQ(j["pids"], json::array({4242}));
    EXPECT_EQ(j["duration_ns"], 60'400'000'000);
    EXPECT_EQ(j["parked_threshold_ns"], 10'000'000'000);
    EXPECT_EQ(j["min_observation_ns"], 30'000'000'000);
    EXPECT_EQ(j["leaked_threads"], 2);
}

TEST_F(AttachFormat, JsonParkedLeaksSayWhetherTheirCreationWasSeen) {
    const auto j = nlohmann::ordered_json::parse(render("json", attach_report()));
    const auto& seen = j["leaks"][0];
    EXPECT_EQ(keys_in_order(seen), (std::vector<std::string>{"kind", "test", "count", "pid", "exe", "tids", "comm",
                                                             "thread_names", "started_unix_ns", "created_by",
                                                             "created_before_attach", "state", "blocked_in",
                                                             "wait", "waits_for_tid", "deadlock", "running_frames"}));
    EXPECT_EQ(seen["kind"], "parked");
    EXPECT_EQ(seen["started_unix_ns"], json::array({nullptr}));
    EXPECT_EQ(seen["created_by"]["tid"], 4242);
    EXPECT_EQ(seen["created_by"]["frames"][1]["function"], "start_session_reader");
    EXPECT_EQ(seen["created_before_attach"], false);
    EXPECT_EQ(seen["blocked_in"]["blocked_for_ns"], 72'000'000'000);

    const auto& before = j["leaks"][1];
    EXPECT_EQ(before["tids"], json::array({4300}));
    EXPECT_EQ(before["started_unix_ns"], json::array({1'796'320'741'000'000'000}));
    EXPECT_TRUE(before["created_by"].is_null());
    EXPECT_EQ(before["created_before_attach"], true);
}

TEST_F(AttachFormat, JsonSitesHoldCountsLifetimesSlopeAndSeries) {
    Report r = attach_report();
    CreationSite before;
    before.pid = 4242;
    before.comm = "server";
    before.exe = kServer;
    before.created_before_attach = true;
    before.label = "created before attach";
    before.alive = 1;
    before.parked = 1;
    before.slope_per_min = std::numeric_limits<double>::quiet_NaN();  // no number: null, as unknown
    before.series = {{0, 1, 1}};
    r.sites.push_back(before);
    const auto j = nlohmann::ordered_json::parse(render("json", r));
    ASSERT_EQ(j["sites"].size(), 3u);
    const auto& leaking = j["sites"][0];
    EXPECT_EQ(keys_in_order(leaking), (std::vector<std::string>{"pid", "comm", "exe", "label", "created_by",
                                                                "created_before_attach", "goroutines", "verdict", "created",
                                                                "exited", "alive", "parked", "lifetime_ns",
                                                                "slope_per_min", "projected_24h", "series"}));
    EXPECT_EQ(leaking["label"], "start_session_reader (server.c:42)");
    EXPECT_EQ(keys_in_order(leaking["created_by"]), (std::vector<std::string>{"frames"}));
    EXPECT_EQ(leaking["created_by"]["frames"].size(), 2u);
    EXPECT_EQ(leaking["verdict"], "leaking");
    EXPECT_EQ(leaking["created"], 57);
    EXPECT_EQ(leaking["exited"], 0);
    EXPECT_EQ(leaking["alive"], 57);
    EXPECT_EQ(leaking["parked"], 50);
    EXPECT_TRUE(leaking["lifetime_ns"].is_null());
    EXPECT_DOUBLE_EQ(leaking["slope_per_min"].get<double>(), 34.2);
    EXPECT_DOUBLE_EQ(leaking["projected_24h"].get<double>(), 57 + 34.2 * 1440);
    ASSERT_EQ(leaking["series"].size(), 6u);
    EXPECT_EQ(leaking["series"][0], json::array({0, 17, 12}));
    EXPECT_EQ(leaking["series"][5], json::array({100'000'000'000, 57, 50}));

    const auto& pool = j["sites"][1];
    EXPECT_EQ(pool["verdict"], "parked");
    EXPECT_EQ(json(pool["lifetime_ns"]),
              json({{"min", 1'500'000}, {"p50", 2'000'000}, {"p99", 900'000'000}, {"max", 61'000'000'000}}));
    EXPECT_EQ(keys_in_order(pool["lifetime_ns"]), (std::vector<std::string>{"min", "p50", "p99", "max"}));
    EXPECT_TRUE(pool["series"].is_array());
    EXPECT_TRUE(pool["series"].empty());

    const auto& unseen = j["sites"][2];
    EXPECT_TRUE(unseen["created_by"].is_null());
    EXPECT_EQ(unseen["created_before_attach"], true);
    EXPECT_EQ(unseen["verdict"], "too_early");
    EXPECT_TRUE(unseen["slope_per_min"].is_null());
    EXPECT_TRUE(unseen["projected_24h"].is_null());
}

TEST_F(AttachFormat, JsonSitesIsAnEmptyListInAttachAndAbsentInRun) {
    Report r = attach_report();
    r.sites.clear();
    EXPECT_EQ(json::parse(render("json", r))["sites"], json::array());

    r.session = SessionInfo{};
    r.session.command = {"./app"};
    r.session.exit_code = 0;
    r.leaks[0].kind = LeakKind::Unjoined;
    r.leaks.resize(1);
    const json run = json::parse(render("json", r));
    for (const char* key : {"pids", "duration_ns", "parked_threshold_ns", "min_observation_ns", "sites"})
        EXPECT_FALSE(run.contains(key)) << key;
    for (const char* key : {"started_unix_ns", "created_before_attach"}) EXPECT_FALSE(run["leaks"][0].contains(key)) << key;
}

TEST_F(AttachFormat, HtmlListsTheSitesWithTheirVerdicts) {
    Report r = attach_report();
    r.sites[1].label = "<b>pool</b>";
    const std::string html = render("html", r);
    EXPECT_NE(html.find("<p class=\"verdict\">Observed 1 process for 1m0s: 1 leaking site, 2 parked threads.</p>"),
              std::string::npos);
    EXPECT_NE(html.find("<th scope=\"col\">Verdict</th><th scope=\"col\">Creation site</th>"), std::string::npos);
    EXPECT_NE(html.find("<tr class=\"leaking\"><td>leaking</td><th scope=\"row\"><code>start_session_reader "
                        "(server.c:42)</code><details><summary>Creation stack (2 frames)</summary>"),
              std::string::npos)
        << html;
    EXPECT_NE(html.find("</th><td>4242 (<code>server</code>)</td><td class=\"n\">57</td><td class=\"n\">0</td>"
                        "<td class=\"n\">57</td><td class=\"n\">50</td><td>-</td><td class=\"n\">+34.2</td>"
                        "<td class=\"n\">49,305</td></tr>"),
              std::string::npos)
        << html;
    EXPECT_NE(html.find("<code>&lt;b&gt;pool&lt;/b&gt;</code>"), std::string::npos);
    EXPECT_EQ(html.find("<b>pool</b>"), std::string::npos);
    EXPECT_NE(html.find("<p>Created before attach, started 2026-12-03 17:59:01</p>"), std::string::npos);
    EXPECT_NE(html.find("parked: in a wait with no timeout, not woken once</h3>"), std::string::npos);
}

}  // namespace
}  // namespace threadleak
