// The site census (analyze/site_census.h) fed synthetic creations, exits and
// points: counts, lifetimes, series, verdict order, and threads seen both at
// attach and as created. Creations without a ProcessImage are the pid's
// "[unknown]" site, so each pid below is one site; one test unwinds this
// test's own stack for a site with a real function.
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../stacks/process_image_test_support.h"
#include "analyze/site_census.h"
#include "stacks/process_image.h"

namespace threadleak {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kStart = 7'000'000'000'000;  // CLOCK_MONOTONIC at attach
constexpr uint64_t kSec = 1'000'000'000;
uint64_t at(uint64_t s) { return kStart + s * kSec; }

GrowthRule rule() {
    GrowthRule r;
    r.min_observation = 10s;
    return r;
}

/// A creation whose stack cannot be read (no image): the pid's "[unknown]" site.
void created(SiteCensus& c, int pid, int tid, uint64_t s) { c.thread_created(pid, tid, at(s), CapturedStack{}, nullptr); }

const auto kNoneParked = [](int, int) { return false; };

std::vector<int> pids_of(const std::vector<CreationSite>& sites) {
    std::vector<int> out;
    for (const CreationSite& s : sites) out.push_back(s.pid);
    return out;
}

TEST(SiteCensus, CreationWithoutImageIsTheUnknownSite) {
    SiteCensus c(rule(), kStart);
    c.name_process(42, "server", "/srv/server");
    created(c, 42, 43, 1);
    CapturedStack ia32;
    ia32.ia32 = true;
    c.thread_created(42, 44, at(2), ia32, nullptr);
    const std::vector<CreationSite> sites = c.sites();
    ASSERT_EQ(sites.size(), 1u);
    EXPECT_EQ(sites[0].label, "[unknown]");
    EXPECT_TRUE(sites[0].created_by.empty());
    EXPECT_FALSE(sites[0].created_before_attach);
    EXPECT_EQ(sites[0].pid, 42);
    EXPECT_EQ(sites[0].comm, "server");
    EXPECT_EQ(sites[0].exe, "/srv/server");
    EXPECT_EQ(sites[0].created, 2u);
    EXPECT_EQ(sites[0].alive, 2u);
    c.name_process(42, "server2", "/srv/server2");  // an exec renames its sites
    EXPECT_EQ(c.sites()[0].comm, "server2");
    EXPECT_EQ(c.sites()[0].exe, "/srv/server2");
}

TEST(SiteCensus, ThreadsAliveAtAttachAreOneSiteWithoutCreations) {
    SiteCensus c(rule(), kStart);
    for (int tid : {10, 11, 12}) c.thread_existed(10, tid);
    c.thread_existed(10, 11);  // listed twice: once
    const std::vector<CreationSite> sites = c.sites();
    ASSERT_EQ(sites.size(), 1u);
    EXPECT_TRUE(sites[0].created_before_attach);
    EXPECT_EQ(sites[0].label, "created before attach");
    EXPECT_TRUE(sites[0].created_by.empty());
    EXPECT_EQ(sites[0].alive, 3u);
    EXPECT_EQ(sites[0].created, 0u);
    EXPECT_EQ(c.alive_threads(), (std::vector<std::pair<int, int>>{{10, 10}, {10, 11}, {10, 12}}));
}

TEST(SiteCensus, LifetimesOnlyForThreadsCreatedDuringTheObservation) {
    SiteCensus c(rule(), kStart);
    c.thread_existed(1, 1);
    c.thread_existed(1, 2);
    created(c, 1, 3, 1);
    created(c, 1, 4, 2);
    c.thread_exited(1, 3, at(4));  // lived 3 s
    c.thread_exited(1, 2, at(5));  // alive at attach: its lifetime is unknown
    c.thread_exited(1, 99, at(5)); // never seen (--baseline's, or a main thread): ignored
    std::vector<CreationSite> sites = c.sites();
    ASSERT_EQ(sites.size(), 2u);
    const auto created_site = std::find_if(sites.begin(), sites.end(), [](auto& s) { return !s.created_before_attach; });
    const auto before_site = std::find_if(sites.begin(), sites.end(), [](auto& s) { return s.created_before_attach; });
    ASSERT_NE(created_site, sites.end());
    ASSERT_NE(before_site, sites.end());
    EXPECT_EQ(created_site->created, 2u);
    EXPECT_EQ(created_site->exited, 1u);
    EXPECT_EQ(created_site->alive, 1u);
    ASSERT_TRUE(created_site->lifetime_ns.has_value());
    EXPECT_EQ(created_site->lifetime_ns->min_ns, 3 * kSec);
    EXPECT_EQ(created_site->lifetime_ns->p50_ns, 3 * kSec);
    EXPECT_EQ(created_site->lifetime_ns->max_ns, 3 * kSec);
    EXPECT_EQ(before_site->alive, 1u);
    EXPECT_EQ(before_site->exited, 0u);
    EXPECT_FALSE(before_site->lifetime_ns.has_value());

    // Once every thread alive at attach is gone, that site has nothing to say.
    c.thread_exited(1, 1, at(6));
    sites = c.sites();
    ASSERT_EQ(sites.size(), 1u);
    EXPECT_FALSE(sites[0].created_before_attach);
    EXPECT_EQ(c.alive_threads(), (std::vector<std::pair<int, int>>{{1, 4}}));
}

TEST(SiteCensus, PointsCountAliveAndParkedPerSite) {
    SiteCensus c(rule(), kStart);
    created(c, 1, 11, 0);
    created(c, 1, 12, 0);
    c.thread_existed(2, 21);
    c.add_point(at(1), [](int, int tid) { return tid == 12 || tid == 21; });
    created(c, 1, 13, 1);
    c.thread_exited(1, 11, at(2));
    c.add_point(at(3), [](int, int tid) { return tid == 12; });
    for (const CreationSite& s : c.sites()) {
        if (s.pid == 1) {
            ASSERT_EQ(s.series.size(), 2u);
            EXPECT_EQ(s.series[0].t_ns, 1 * kSec);
            EXPECT_EQ(s.series[0].alive, 2u);
            EXPECT_EQ(s.series[0].parked, 1u);
            EXPECT_EQ(s.series[1].t_ns, 3 * kSec);
            EXPECT_EQ(s.series[1].alive, 2u);
            EXPECT_EQ(s.series[1].parked, 1u);
            EXPECT_EQ(s.parked, 1u);
        } else {
            ASSERT_EQ(s.pid, 2);
            ASSERT_EQ(s.series.size(), 2u);
            EXPECT_EQ(s.series[0].parked, 1u);
            EXPECT_EQ(s.series[1].parked, 0u);
            EXPECT_EQ(s.parked, 0u);
        }
    }
}

TEST(SiteCensus, LongSeriesIsThinnedEvenlyOverItsWholeSpan) {
    SiteCensus c(rule(), kStart);
    created(c, 1, 2, 0);
    constexpr uint64_t kPoints = 86'400;  // a day at one point a second
    for (uint64_t s = 0; s < kPoints; s++) {
        if (s == kPoints / 2) created(c, 1, 3, s);
        c.add_point(at(s), kNoneParked);
    }
    const std::vector<SitePoint> series = c.sites().at(0).series;
    EXPECT_LE(series.size(), SiteCensus::kMaxPoints);
    EXPECT_GE(series.size(), SiteCensus::kMaxPoints / 2);
    EXPECT_EQ(series.front().t_ns, 0u);
    EXPECT_EQ(series.back().t_ns, (kPoints - 1) * kSec);  // the latest is always there
    EXPECT_EQ(series.front().alive, 1u);
    EXPECT_EQ(series.back().alive, 2u);
    // Evenly spaced (the latest point aside): the first half of the day keeps
    // half of the points, not just its first one.
    const uint64_t gap = series[1].t_ns - series[0].t_ns;
    for (size_t i = 1; i + 1 < series.size(); i++) ASSERT_EQ(series[i].t_ns - series[i - 1].t_ns, gap) << i;
    EXPECT_LE(series.back().t_ns - series[series.size() - 2].t_ns, gap);
    const auto first_half = std::count_if(series.begin(), series.end(),
                                          [](const SitePoint& p) { return p.t_ns < kPoints / 2 * kSec; });
    EXPECT_NEAR(static_cast<double>(first_half), series.size() / 2.0, 2.0);
}

TEST(SiteCensus, SitesAreLeakingThenParkedThenTooEarlyThenOkByAlive) {
    SiteCensus c(rule(), kStart);
    for (int tid : {201, 202, 203}) created(c, 200, tid, 0);  // parked, flat
    for (int tid : {401, 402}) created(c, 400, tid, 0);       // ok, 2 alive
    for (int tid : {501, 502, 503, 504, 505}) created(c, 500, tid, 0);  // ok, 5 alive
    for (uint64_t s = 0; s < 20; s++) {
        created(c, 100, 1000 + static_cast<int>(s), s);  // one more each second, none exits
        if (s >= 18) created(c, 300, 3000 + static_cast<int>(s), s);  // seen for 1 s only
        c.add_point(at(s), [](int pid, int) { return pid == 200; });
    }
    const std::vector<CreationSite> sites = c.sites();
    EXPECT_EQ(pids_of(sites), (std::vector<int>{100, 200, 300, 500, 400}));
    ASSERT_EQ(sites.size(), 5u);
    EXPECT_EQ(sites[0].verdict, SiteVerdict::Leaking);
    EXPECT_EQ(sites[0].alive, 20u);
    EXPECT_EQ(sites[1].verdict, SiteVerdict::Parked);
    EXPECT_EQ(sites[1].parked, 3u);
    EXPECT_EQ(sites[2].verdict, SiteVerdict::TooEarly);
    EXPECT_EQ(sites[3].verdict, SiteVerdict::Ok);
    EXPECT_EQ(sites[4].verdict, SiteVerdict::Ok);
}

TEST(SiteCensus, ThreadsAliveAtAttachNeverMakeALeakingSite) {
    // Even a count that rises (threads listed as they are found) is not a leak
    // of a site whose creations were not seen.
    SiteCensus c(rule(), kStart);
    for (uint64_t s = 0; s < 20; s++) {
        c.thread_existed(600, 6000 + static_cast<int>(s));
        c.thread_existed(700, 7000 + static_cast<int>(s));
        c.add_point(at(s), [](int pid, int) { return pid == 700; });
    }
    const std::vector<CreationSite> sites = c.sites();
    ASSERT_EQ(sites.size(), 2u);
    EXPECT_EQ(sites[0].pid, 700);
    EXPECT_EQ(sites[0].verdict, SiteVerdict::Parked);
    EXPECT_EQ(sites[1].pid, 600);
    EXPECT_EQ(sites[1].verdict, SiteVerdict::Ok);
    EXPECT_TRUE(sites[1].slope_per_min.has_value());  // the rise is still measured
}

TEST(SiteCensus, ThreadListedAtAttachAndThenCreatedCountsOnce) {
    SiteCensus c(rule(), kStart);
    c.thread_existed(1, 7);       // the listing saw it ...
    created(c, 1, 7, 1);          // ... before its creation record arrived
    created(c, 1, 8, 1);          // and the other way round
    c.thread_existed(1, 8);
    std::vector<CreationSite> sites = c.sites();
    ASSERT_EQ(sites.size(), 1u);
    EXPECT_FALSE(sites[0].created_before_attach);
    EXPECT_EQ(sites[0].created, 2u);
    EXPECT_EQ(sites[0].alive, 2u);
    EXPECT_EQ(c.alive_threads(), (std::vector<std::pair<int, int>>{{1, 7}, {1, 8}}));
    c.thread_exited(1, 7, at(3));
    sites = c.sites();
    ASSERT_EQ(sites.size(), 1u);
    EXPECT_EQ(sites[0].exited, 1u);
    EXPECT_EQ(sites[0].alive, 1u);
    ASSERT_TRUE(sites[0].lifetime_ns.has_value());
    EXPECT_EQ(sites[0].lifetime_ns->max_ns, 2 * kSec);
}

TEST(SiteCensus, RealCreationStackIsUnwoundToItsSite) {
    ProcessImage image(getpid());
    ASSERT_TRUE(image.load_proc_maps());
    SiteCensus c(rule(), kStart);
    // Two call paths to one capturing function: the callers do not split the site.
    CapturedStack first, second;
    pi_test::outer_distinctive_fn(first.snapshot);
    pi_test::capture_snapshot(second.snapshot);
    c.thread_created(getpid(), 1001, at(0), first, &image);
    c.thread_created(getpid(), 1002, at(1), second, &image);
    CapturedStack ia32 = second;
    ia32.ia32 = true;  // registers of 32-bit code are not unwound
    c.thread_created(getpid(), 1003, at(1), ia32, &image);

    std::vector<CreationSite> sites = c.sites();
    ASSERT_EQ(sites.size(), 2u);
    std::sort(sites.begin(), sites.end(), [](auto& a, auto& b) { return a.created > b.created; });
    const CreationSite& real = sites[0];
    EXPECT_EQ(real.created, 2u);
    ASSERT_FALSE(real.created_by.empty());
    const Frame& site_frame = real.created_by.back();
    EXPECT_EQ(site_frame.module, pi_test::self_exe());
    ASSERT_TRUE(site_frame.function.has_value());
    EXPECT_EQ(*site_frame.function, "pi_test::capture_snapshot(threadleak::StackSnapshot&)");
    EXPECT_EQ(real.label.rfind("pi_test::capture_snapshot(threadleak::StackSnapshot&) (process_image_test.cpp:", 0), 0u)
        << real.label;
    EXPECT_EQ(sites[1].label, "[unknown]");
    EXPECT_EQ(sites[1].created, 1u);
}

Frame go_statement(const std::string& function, uint64_t offset) {
    Frame f;
    f.module = "/srv/gosvc";
    f.offset = offset;
    f.function = function;
    f.file = "/src/gosvc/server.go";
    f.line = 26;
    return f;
}

TEST(SiteCensus, GoroutinesBySnapshotsAreSitesOfTheirGoStatement) {
    SiteCensus c(rule(), kStart);
    c.name_process(50, "gosvc", "/srv/gosvc");
    const Frame handler = go_statement("main.handleRequest", 0x100), pool = go_statement("main.startPool", 0x200);
    // The first snapshot: alive at attach (not created), yet with their site known.
    c.goroutines_seen(50, at(0), {{6, &pool}, {7, &pool}, {10, &handler}});
    c.add_point(at(0), kNoneParked, [](int, uint64_t goid) { return goid == 6 || goid == 7; });
    // Then 2 more from the handler, and goid 10 ended.
    c.goroutines_seen(50, at(2), {{6, &pool}, {7, &pool}, {11, &handler}, {12, &handler}});
    c.add_point(at(2), kNoneParked, [](int, uint64_t) { return false; });
    std::vector<CreationSite> sites = c.sites();
    ASSERT_EQ(sites.size(), 2u);
    auto site = [&](const std::string& label) {
        auto it = std::find_if(sites.begin(), sites.end(), [&](const CreationSite& s) { return s.label == label; });
        EXPECT_NE(it, sites.end()) << label;
        return it == sites.end() ? CreationSite{} : *it;
    };
    const CreationSite h = site("go main.handleRequest (server.go:26)");
    EXPECT_TRUE(h.goroutines);
    EXPECT_FALSE(h.created_before_attach);
    EXPECT_EQ(h.created, 2u);  // goid 10 existed at attach
    EXPECT_EQ(h.exited, 0u);   // ... so its end has no lifetime and is no exit of the observation
    EXPECT_EQ(h.alive, 2u);
    ASSERT_EQ(h.series.size(), 2u);
    EXPECT_EQ(h.series[0].alive, 1u);
    const CreationSite p = site("go main.startPool (server.go:26)");
    EXPECT_EQ(p.alive, 2u);
    ASSERT_EQ(p.series.size(), 2u);
    EXPECT_EQ(p.series[0].parked, 2u);
    // A goroutine created during the observation that ends has a lifetime.
    c.goroutines_seen(50, at(5), {{6, &pool}, {7, &pool}, {12, &handler}});
    sites = c.sites();
    const CreationSite h2 = site("go main.handleRequest (server.go:26)");
    EXPECT_EQ(h2.exited, 1u);
    ASSERT_TRUE(h2.lifetime_ns);
    EXPECT_EQ(h2.lifetime_ns->max_ns, 3 * kSec);
    // The process ended: its goroutines are no longer alive, and the pool's
    // site (all there at attach, now gone) has nothing left to say.
    c.goroutines_gone(50);
    sites = c.sites();
    ASSERT_EQ(sites.size(), 1u);
    EXPECT_EQ(sites[0].label, "go main.handleRequest (server.go:26)");
    EXPECT_EQ(sites[0].alive, 0u);
}

}  // namespace
}  // namespace threadleak
