#include "analyze/site_census.h"

#include <algorithm>
#include <cstdio>

#include "analyze/creation_site.h"

namespace threadleak {
namespace {

/// Enough frames to get past pthread_create, std::thread and a runtime's
/// wrappers to the code that asked for the thread.
constexpr size_t kSiteUnwindFrames = 24;

/// The site's frames of one creation stack: unwound only as deep as needed.
Stack site_frames(const CapturedStack& creation, const ProcessImage* image) {
    if (!image || creation.ia32) return {};
    Stack frames;
    for (const RawFrame& raw : image->unwind(creation.snapshot, kSiteUnwindFrames)) {
        const std::vector<Frame> levels = image->symbolize_inline(raw);
        for (const Frame& f : levels) {
            frames.push_back(f);
            if (!is_threading_frame(f)) return frames;
        }
    }
    return frames;
}

int verdict_rank(SiteVerdict v) {
    switch (v) {
    case SiteVerdict::Leaking: return 0;
    case SiteVerdict::Parked: return 1;
    case SiteVerdict::TooEarly: return 2;
    case SiteVerdict::Ok: return 3;
    }
    return 4;
}

}  // namespace

SiteCensus::SiteCensus(GrowthRule rule, uint64_t start_ns) : rule_(rule), start_ns_(start_ns) {}

void SiteCensus::name_process(int pid, const std::string& comm, const std::string& exe) {
    names_[pid] = {comm, exe};
    for (Site& s : sites_)
        if (s.info.pid == pid) {
            s.info.comm = comm;
            s.info.exe = exe;
        }
}

size_t SiteCensus::find_or_add_site(const std::string& key, int pid, const std::function<void(CreationSite&)>& fill) {
    auto it = by_key_.find(key);
    if (it != by_key_.end()) return it->second;
    Site s;
    s.info.pid = pid;
    if (auto n = names_.find(pid); n != names_.end()) {
        s.info.comm = n->second.first;
        s.info.exe = n->second.second;
    }
    fill(s.info);
    sites_.push_back(std::move(s));
    by_key_.emplace(key, sites_.size() - 1);
    return sites_.size() - 1;
}

size_t SiteCensus::site_of(int pid, bool before_attach, const Stack& frames) {
    const std::string key =
        std::to_string(pid) + (before_attach ? "|before" : "|" + site_key(frames));
    return find_or_add_site(key, pid, [&](CreationSite& site) {
        site.created_before_attach = before_attach;
        site.created_by = frames;
        site.label = before_attach ? "created before attach" : site_label(frames);
    });
}

void SiteCensus::thread_existed(int pid, int tid) {
    const size_t site = site_of(pid, true, {});
    if (threads_.emplace(std::make_pair(pid, tid), ThreadEntry{site, std::nullopt}).second)
        sites_[site].info.alive++;
}

void SiteCensus::thread_created(int pid, int tid, uint64_t time_ns, const CapturedStack& creation,
                                const ProcessImage* image) {
    const size_t site = site_of(pid, false, site_frames(creation, image));
    // Listed as alive at attach while its creation record was on its way: it is this site's.
    if (auto old = threads_.find({pid, tid}); old != threads_.end() && sites_[old->second.site].info.alive > 0)
        sites_[old->second.site].info.alive--;
    threads_.insert_or_assign(std::make_pair(pid, tid), ThreadEntry{site, time_ns});
    sites_[site].info.created++;
    sites_[site].info.alive++;
}

void SiteCensus::ended(ThreadEntry entry, uint64_t time_ns) {
    Site& s = sites_[entry.site];
    if (s.info.alive > 0) s.info.alive--;
    if (entry.created_ns) {
        // Only a thread created during the observation has a known lifetime.
        s.info.exited++;
        const uint64_t born = *entry.created_ns;
        s.lifetimes.add(time_ns > born ? time_ns - born : 0);
    }
}

void SiteCensus::thread_exited(int pid, int tid, uint64_t time_ns) {
    auto it = threads_.find({pid, tid});
    if (it == threads_.end()) return;
    ended(it->second, time_ns);
    threads_.erase(it);
}

size_t SiteCensus::goroutine_site_of(int pid, const Frame& go_statement) {
    char offset[24];
    snprintf(offset, sizeof offset, "+%llx", static_cast<unsigned long long>(go_statement.offset));
    return find_or_add_site(std::to_string(pid) + "|go|" + go_statement.module + offset, pid, [&](CreationSite& site) {
        site.goroutines = true;
        site.created_by = {go_statement};
        site.label = "go " + site_label(site.created_by);
    });
}

void SiteCensus::goroutines_seen(int pid, uint64_t time_ns, const std::vector<std::pair<uint64_t, const Frame*>>& goroutines) {
    // Those of the process's first snapshot existed at attach: alive, not created.
    const bool first = go_processes_.insert(pid).second;
    std::set<uint64_t> now;
    for (const auto& [goid, go_statement] : goroutines) {
        now.insert(goid);
        if (goroutines_.count({pid, goid})) continue;
        const size_t site = goroutine_site_of(pid, *go_statement);
        goroutines_.emplace(std::make_pair(pid, goid),
                            ThreadEntry{site, first ? std::nullopt : std::optional<uint64_t>(time_ns)});
        sites_[site].info.alive++;
        if (!first) sites_[site].info.created++;
    }
    for (auto it = goroutines_.lower_bound({pid, 0}); it != goroutines_.end() && it->first.first == pid;) {
        if (now.count(it->first.second)) {
            ++it;
            continue;
        }
        ended(it->second, time_ns);
        it = goroutines_.erase(it);
    }
}

void SiteCensus::goroutines_gone(int pid) {
    for (auto it = goroutines_.lower_bound({pid, 0}); it != goroutines_.end() && it->first.first == pid;) {
        Site& s = sites_[it->second.site];
        if (s.info.alive > 0) s.info.alive--;
        it = goroutines_.erase(it);
    }
    go_processes_.erase(pid);
}

void SiteCensus::add_point(uint64_t time_ns, const std::function<bool(int, int)>& is_parked,
                           const std::function<bool(int, uint64_t)>& is_goroutine_parked) {
    std::vector<uint64_t> parked(sites_.size(), 0);
    for (const auto& [key, entry] : threads_)
        if (is_parked(key.first, key.second)) parked[entry.site]++;
    if (is_goroutine_parked)
        for (const auto& [key, entry] : goroutines_)
            if (is_goroutine_parked(key.first, key.second)) parked[entry.site]++;
    const uint64_t t = time_ns > start_ns_ ? time_ns - start_ns_ : 0;
    for (size_t i = 0; i < sites_.size(); i++) {
        CreationSite& s = sites_[i].info;
        s.parked = parked[i];
        if (s.alive == 0 && s.series.empty() && s.created == 0) continue;
        append_point(sites_[i], {t, s.alive, s.parked});
    }
}

void SiteCensus::append_point(Site& s, const SitePoint& p) {
    // Thinning only the series (every other point, each time it fills) would
    // halve the oldest points again and again: after a day at one point a
    // second, nothing but the first point would be left of its first 23 hours.
    // So the kept points are offers 0, stride, 2*stride ..., and the latest
    // offer stands in as a provisional last point until the next one.
    std::vector<SitePoint>& series = s.info.series;
    if (s.tail_provisional)
        series.back() = p;
    else
        series.push_back(p);
    s.tail_provisional = s.points_offered % s.stride != 0;
    s.points_offered++;
    if (series.size() <= kMaxPoints) return;
    const size_t kept = series.size() - (s.tail_provisional ? 1 : 0);
    std::vector<SitePoint> thinned;
    thinned.reserve(kept / 2 + 2);
    for (size_t j = 0; j < kept; j += 2) thinned.push_back(series[j]);
    // The latest point stays: either the provisional one, or the last kept
    // one, which the doubled stride no longer keeps.
    s.tail_provisional = s.tail_provisional || (kept - 1) % 2 != 0;
    if (s.tail_provisional) thinned.push_back(series.back());
    s.stride *= 2;
    series = std::move(thinned);
}

std::vector<std::pair<int, int>> SiteCensus::alive_threads() const {
    std::vector<std::pair<int, int>> out;
    out.reserve(threads_.size());
    for (const auto& [key, entry] : threads_) out.push_back(key);
    return out;
}

std::vector<CreationSite> SiteCensus::sites() const {
    std::vector<CreationSite> out;
    for (const Site& s : sites_) {
        if (s.info.alive == 0 && s.info.created == 0) continue;  // alive at attach, all gone: nothing to say
        CreationSite c = s.info;
        const GrowthVerdict g = judge_growth(c.series, c.created, c.exited, rule_);
        c.verdict = g.verdict;
        // Threads alive at attach cannot be a growing site: their number only
        // falls (a rising parked count there is threads going idle).
        if (c.created_before_attach && c.verdict == SiteVerdict::Leaking)
            c.verdict = c.parked > 0 ? SiteVerdict::Parked : SiteVerdict::Ok;
        c.slope_per_min = g.slope_per_min;
        c.projected_24h = g.projected_24h;
        c.lifetime_ns = s.lifetimes.summary();
        out.push_back(std::move(c));
    }
    std::stable_sort(out.begin(), out.end(), [](const CreationSite& a, const CreationSite& b) {
        if (verdict_rank(a.verdict) != verdict_rank(b.verdict)) return verdict_rank(a.verdict) < verdict_rank(b.verdict);
        return a.alive > b.alive;
    });
    return out;
}

}  // namespace threadleak
