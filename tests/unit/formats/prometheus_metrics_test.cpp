// attach --prometheus: the site metrics of a report, as prometheus-cpp's
// TextSerializer writes them and a strict reader of the exposition format
// reads them back.
#include "formats/prometheus_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <tuple>

#include "../../support/exposition.h"

using namespace threadleak;
using threadleak_test::Exposition;
using threadleak_test::ParseExposition;

namespace {

CreationSite Site(int pid, const std::string& label, SiteVerdict verdict, uint64_t alive, uint64_t parked = 0) {
    CreationSite s;
    s.pid = pid;
    s.comm = "server";
    s.exe = "/usr/bin/server";
    s.label = label;
    s.verdict = verdict;
    s.alive = alive;
    s.parked = parked;
    s.created = alive + 3;
    s.exited = 3;
    Frame f;
    f.module = "/usr/bin/server";
    f.offset = 0x1000 + label.size();
    f.function = label;
    s.created_by = {f};
    return s;
}

std::string Serialize(const Report& report, size_t max_sites) {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, site_metrics(report, max_sites));
    return out.str();
}

/// The report's exposition, read back; the test fails if it is not the format
/// or if two samples of a family share their labels (a server rejects the scrape).
Exposition Exposed(const Report& report, size_t max_sites = 20) {
    const std::string text = Serialize(report, max_sites);
    Exposition e = ParseExposition(text);
    EXPECT_EQ(e.error, "") << text;
    std::set<std::pair<std::string, std::map<std::string, std::string>>> seen;
    for (const auto& s : e.samples)
        EXPECT_TRUE(seen.insert({s.name, s.labels}).second) << "duplicate series of " << s.name << "\n" << text;
    return e;
}

double Value(const Exposition& e, const std::string& name, const std::map<std::string, std::string>& labels) {
    const auto found = e.Find(name, labels);
    EXPECT_EQ(found.size(), 1u) << name;
    return found.empty() ? -1 : found.front().value;
}

/// (pid, comm, site) of each sample of `name`.
std::set<std::tuple<std::string, std::string, std::string>> SitesOf(const Exposition& e, const std::string& name) {
    std::set<std::tuple<std::string, std::string, std::string>> out;
    for (const auto& s : e.Find(name)) out.insert({s.labels.at("pid"), s.labels.at("comm"), s.labels.at("site")});
    return out;
}

const char* const kSiteFamilies[] = {"threadleak_site_threads_alive", "threadleak_site_threads_parked",
                                     "threadleak_site_threads_created_total", "threadleak_site_threads_exited_total",
                                     "threadleak_site_leaking"};

}  // namespace

TEST(PrometheusMetrics, EachSiteHasItsCountsLabelledByProcessSiteAndVerdict) {
    Report r;
    CreationSite s = Site(4242, "start_session_reader (server.c:42)", SiteVerdict::Leaking, 57, 50);
    s.created = 57;
    s.exited = 0;
    s.slope_per_min = 34.25;
    r.sites.push_back(s);
    const Exposition e = Exposed(r);
    const std::map<std::string, std::string> labels{
        {"pid", "4242"}, {"comm", "server"}, {"site", "start_session_reader (server.c:42)"}, {"verdict", "leaking"}};
    EXPECT_EQ(Value(e, "threadleak_site_threads_alive", labels), 57);
    EXPECT_EQ(Value(e, "threadleak_site_threads_parked", labels), 50);
    EXPECT_EQ(Value(e, "threadleak_site_threads_created_total", labels), 57);
    EXPECT_EQ(Value(e, "threadleak_site_threads_exited_total", labels), 0);
    EXPECT_EQ(Value(e, "threadleak_site_slope_per_minute", labels), 34.25);
    const auto leaking = e.Find("threadleak_site_leaking");
    ASSERT_EQ(leaking.size(), 1u);
    EXPECT_EQ(leaking[0].labels, (std::map<std::string, std::string>{
                                     {"pid", "4242"}, {"comm", "server"}, {"site", "start_session_reader (server.c:42)"}}));
    EXPECT_EQ(leaking[0].value, 1);
    EXPECT_EQ(e.types.at("threadleak_site_threads_alive"), "gauge");
    EXPECT_EQ(e.types.at("threadleak_site_threads_created_total"), "counter");
    EXPECT_EQ(e.types.at("threadleak_site_threads_exited_total"), "counter");
    EXPECT_EQ(e.types.at("threadleak_lost_events_total"), "counter");
}

TEST(PrometheusMetrics, VerdictsAreTheReportsAndSlopeIsAbsentUntilKnown) {
    Report r;
    r.sites.push_back(Site(7, "pool_worker (pool.c:10)", SiteVerdict::Parked, 8, 8));
    r.sites.push_back(Site(7, "created before attach", SiteVerdict::TooEarly, 3));
    r.sites.push_back(Site(7, "short_task (task.c:5)", SiteVerdict::Ok, 1));
    r.sites[0].slope_per_min = 0.0;
    const Exposition e = Exposed(r);
    EXPECT_EQ(Value(e, "threadleak_site_threads_parked", {{"site", "pool_worker (pool.c:10)"}, {"verdict", "parked"}}), 8);
    EXPECT_EQ(Value(e, "threadleak_site_threads_alive", {{"site", "created before attach"}, {"verdict", "too_early"}}), 3);
    EXPECT_EQ(Value(e, "threadleak_site_threads_alive", {{"site", "short_task (task.c:5)"}, {"verdict", "ok"}}), 1);
    EXPECT_EQ(Value(e, "threadleak_site_leaking", {{"site", "pool_worker (pool.c:10)"}}), 0);
    const auto slopes = e.Find("threadleak_site_slope_per_minute");
    ASSERT_EQ(slopes.size(), 1u);  // the two without a slope have no sample
    EXPECT_EQ(slopes[0].labels.at("site"), "pool_worker (pool.c:10)");
    EXPECT_EQ(slopes[0].value, 0.0);
}

TEST(PrometheusMetrics, HealthIsProcessIndependent) {
    Report r;
    r.health.ringbuf_drops = 5;
    r.health.traced_map_full = 2;
    r.health.malformed_records = 1;
    r.health.stack_copy_failures = 9;  // frames missing, not events lost
    r.session.duration_ns = 61'500'000'000;
    LeakGroup g;
    g.kind = LeakKind::Parked;
    g.threads.resize(4);
    r.leaks.push_back(g);
    const Exposition e = Exposed(r);
    EXPECT_EQ(Value(e, "threadleak_lost_events_total", {}), 8);
    EXPECT_EQ(Value(e, "threadleak_observed_seconds", {}), 61.5);
    EXPECT_EQ(Value(e, "threadleak_leaked_threads", {}), 4);
    EXPECT_TRUE(e.Find("threadleak_lost_events_total")[0].labels.empty());
    EXPECT_TRUE(e.Find("threadleak_site_threads_alive").empty());  // no sites, no site series
}

TEST(PrometheusMetrics, TopSitesPerProcessKeepTheirSeriesAndTheRestAreSummedInOther) {
    Report r;
    r.sites.push_back(Site(100, "a", SiteVerdict::Ok, 5, 1));
    r.sites.push_back(Site(100, "b", SiteVerdict::Ok, 50, 2));
    r.sites.push_back(Site(100, "leaker", SiteVerdict::Leaking, 2, 2));  // leaking: first, despite its count
    r.sites.push_back(Site(100, "c", SiteVerdict::Parked, 7, 7));
    r.sites.push_back(Site(100, "d", SiteVerdict::TooEarly, 1));
    r.sites.push_back(Site(200, "e", SiteVerdict::Ok, 1));  // another process: its own top N
    const Exposition e = Exposed(r, 2);

    std::set<std::tuple<std::string, std::string, std::string>> expected{
        {"100", "server", "leaker"}, {"100", "server", "b"}, {"100", "server", "other"}, {"200", "server", "e"}};
    for (const char* family : kSiteFamilies) EXPECT_EQ(SitesOf(e, family), expected) << family;

    const std::map<std::string, std::string> other{{"pid", "100"}, {"site", "other"}, {"verdict", "other"}};
    EXPECT_EQ(Value(e, "threadleak_site_threads_alive", other), 5 + 7 + 1);
    EXPECT_EQ(Value(e, "threadleak_site_threads_parked", other), 1 + 7 + 0);
    EXPECT_EQ(Value(e, "threadleak_site_threads_created_total", other), 8 + 10 + 4);
    EXPECT_EQ(Value(e, "threadleak_site_threads_exited_total", other), 9);
    EXPECT_EQ(Value(e, "threadleak_site_leaking", {{"pid", "100"}, {"site", "other"}}), 0);
    EXPECT_TRUE(e.Find("threadleak_site_slope_per_minute", {{"site", "other"}}).empty());
    EXPECT_EQ(Value(e, "threadleak_site_threads_alive", {{"site", "leaker"}, {"verdict", "leaking"}}), 2);
}

TEST(PrometheusMetrics, OtherLeaksWhenMoreSitesLeakThanHaveSeries) {
    Report r;
    r.sites.push_back(Site(1, "x", SiteVerdict::Leaking, 3));
    r.sites.push_back(Site(1, "y", SiteVerdict::Leaking, 9));
    r.sites.push_back(Site(1, "z", SiteVerdict::Ok, 100));
    const Exposition e = Exposed(r, 1);
    EXPECT_EQ(SitesOf(e, "threadleak_site_threads_alive"),
              (std::set<std::tuple<std::string, std::string, std::string>>{{"1", "server", "y"}, {"1", "server", "other"}}));
    EXPECT_EQ(Value(e, "threadleak_site_leaking", {{"site", "other"}}), 1);  // x leaks in there
    EXPECT_EQ(Value(e, "threadleak_site_threads_alive", {{"site", "other"}}), 103);
}

TEST(PrometheusMetrics, NoSeriesOfTheirOwnWithZeroSites) {
    Report r;
    r.sites.push_back(Site(1, "x", SiteVerdict::Ok, 3));
    r.sites.push_back(Site(2, "y", SiteVerdict::Ok, 4));
    const Exposition e = Exposed(r, 0);
    EXPECT_EQ(SitesOf(e, "threadleak_site_threads_alive"),
              (std::set<std::tuple<std::string, std::string, std::string>>{{"1", "server", "other"},
                                                                           {"2", "server", "other"}}));
}

TEST(PrometheusMetrics, HostileLabelValuesAreReplacedAndEscapedNeverBreakingTheFormat) {
    Report r;
    const std::string hostile = std::string("evil\"} 1\nthreadleak_site_leaking{site=\"x\"} 1\\ ") + '\0' +
                                "\r\t\x1b[2J\x7f \xc2\x85 bad\xff\xc3 rlo\xe2\x80\xae caf\xc3\xa9";
    CreationSite s = Site(9, hostile, SiteVerdict::Leaking, 1);
    s.comm = "wor\nker\xfe";
    r.sites.push_back(s);
    const Exposition e = Exposed(r);
    ASSERT_EQ(e.Find("threadleak_site_leaking").size(), 1u) << "the forged sample must not parse as one";
    const auto alive = e.Find("threadleak_site_threads_alive");
    ASSERT_EQ(alive.size(), 1u);
    const std::string fffd = "\xef\xbf\xbd";
    // Quotes and backslashes survive (escaped on the wire); controls, invalid
    // bytes and the bidi override became U+FFFD; valid text stays.
    EXPECT_EQ(alive[0].labels.at("site"),
              "evil\"} 1" + fffd + "threadleak_site_leaking{site=\"x\"} 1\\ " + fffd + fffd + fffd + fffd +
                  "[2J" + fffd + " " + fffd + " bad" + fffd + fffd + " rlo" + fffd + " caf\xc3\xa9");
    EXPECT_EQ(alive[0].labels.at("comm"), "wor" + fffd + "ker" + fffd);
}

TEST(PrometheusMetrics, A10KiBLabelIsCutTo200BytesOnACharacterBoundary) {
    std::string huge;
    while (huge.size() < 10 * 1024) huge += "\xc3\xa9";  // é, two bytes each
    huge += "x";
    Report r;
    r.sites.push_back(Site(3, huge, SiteVerdict::Ok, 1));
    const Exposition e = Exposed(r);
    const std::string site = e.Find("threadleak_site_threads_alive").at(0).labels.at("site");
    EXPECT_LE(site.size(), kPrometheusLabelMaxBytes);
    EXPECT_GE(site.size(), kPrometheusLabelMaxBytes - 4);
    EXPECT_TRUE(threadleak_test::IsUtf8(site));
    EXPECT_EQ(site.substr(site.size() - 3), "\xe2\x80\xa6");  // ends in …
    EXPECT_EQ(site.substr(0, 4), "\xc3\xa9\xc3\xa9");
}

TEST(PrometheusMetrics, LabelValueReplacesAndCuts) {
    EXPECT_EQ(prometheus_label_value("start_session_reader (server.c:42)"), "start_session_reader (server.c:42)");
    EXPECT_EQ(prometheus_label_value("a\"b\\c"), "a\"b\\c");
    EXPECT_EQ(prometheus_label_value("a\nb"), "a\xef\xbf\xbd" "b");
    EXPECT_EQ(prometheus_label_value("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // a surrogate: 3 bad bytes
    EXPECT_EQ(prometheus_label_value("abcdefgh", 8), "abcdefgh");
    EXPECT_EQ(prometheus_label_value("abcdefghi", 8), "abcde\xe2\x80\xa6");
    // Cutting at 8 - 3 bytes would split the 3-byte 日: it goes whole.
    EXPECT_EQ(prometheus_label_value("abc\xe6\x97\xa5\xe6\x9c\xac", 8), "abc\xe2\x80\xa6");
}

TEST(PrometheusMetrics, SitesNamedAlikeAreToldApartByTheirFrame) {
    Report r;
    CreationSite one = Site(5, "spawn", SiteVerdict::Ok, 2);
    CreationSite two = Site(5, "spawn", SiteVerdict::Leaking, 4);
    two.created_by[0].offset = 0x2abc;
    CreationSite named_other = Site(5, "other", SiteVerdict::Ok, 1);  // a function called "other"
    CreationSite beyond = Site(5, "tail", SiteVerdict::Ok, 0);
    r.sites = {one, two, named_other, beyond};
    const Exposition e = Exposed(r, 3);
    EXPECT_EQ(SitesOf(e, "threadleak_site_threads_alive"),
              (std::set<std::tuple<std::string, std::string, std::string>>{{"5", "server", "spawn [server+0x1005]"},
                                                                           {"5", "server", "spawn [server+0x2abc]"},
                                                                           {"5", "server", "other [server+0x1005]"},
                                                                           {"5", "server", "other"}}));
    EXPECT_EQ(Value(e, "threadleak_site_leaking", {{"site", "spawn [server+0x2abc]"}}), 1);
    EXPECT_EQ(Value(e, "threadleak_site_threads_alive", {{"site", "other"}, {"verdict", "other"}}), 0);
}

TEST(PrometheusMetrics, SitesThatStillCollideAreSummedWithTheWorstVerdict) {
    Report r;
    // Labels that differ only past the cut, from the same frame: one series.
    const std::string head(300, 'f');
    r.sites.push_back(Site(6, head + "1", SiteVerdict::Ok, 2));
    r.sites.push_back(Site(6, head + "2", SiteVerdict::Parked, 3, 3));
    r.sites[1].created_by = r.sites[0].created_by;
    r.sites[0].slope_per_min = 1.0;
    const Exposition e = Exposed(r);
    const auto alive = e.Find("threadleak_site_threads_alive");
    ASSERT_EQ(alive.size(), 1u);
    EXPECT_EQ(alive[0].value, 5);
    EXPECT_EQ(alive[0].labels.at("verdict"), "parked");
    EXPECT_LE(alive[0].labels.at("site").size(), kPrometheusLabelMaxBytes);
    EXPECT_TRUE(e.Find("threadleak_site_slope_per_minute").empty());  // a sum has no one slope
}

TEST(PrometheusMetrics, TheSameReportGivesTheSameText) {
    Report r;
    for (int i = 0; i < 30; ++i) r.sites.push_back(Site(1 + i % 3, "f" + std::to_string(i), SiteVerdict::Ok, i % 4));
    Report shuffled = r;
    std::reverse(shuffled.sites.begin(), shuffled.sites.end());
    EXPECT_EQ(Serialize(r, 5), Serialize(shuffled, 5));
}
