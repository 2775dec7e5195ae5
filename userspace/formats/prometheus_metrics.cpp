#include "formats/prometheus_metrics.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <optional>
#include <tuple>

#include "formats/text_escape.h"

namespace threadleak {
namespace {

constexpr std::string_view kReplacement = "\xef\xbf\xbd";  // U+FFFD
constexpr std::string_view kEllipsis = "\xe2\x80\xa6";     // U+2026
constexpr std::string_view kOther = "other";

bool is_control(uint32_t cp) { return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f); }

/// Valid UTF-8, nothing in it a control or invisible.
std::string replace_unsafe(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        const auto decoded = decode_utf8(s, i);
        if (!decoded) {
            out += kReplacement;
            ++i;
            continue;
        }
        const auto [cp, len] = *decoded;
        if (is_control(cp) || is_invisible_or_reordering(cp)) out += kReplacement;
        else out.append(s.substr(i, len));
        i += len;
    }
    return out;
}

/// One series: the labels and values shared by every site family.
struct Series {
    int pid = 0;
    std::string comm;
    std::string site;
    std::string verdict;
    bool leaking = false;
    SiteVerdict worst = SiteVerdict::TooEarly;  ///< for merging: the enum runs from least to most alarming
    uint64_t alive = 0, parked = 0, created = 0, exited = 0;
    std::optional<double> slope;
    const CreationSite* source = nullptr;       ///< the one site it shows; null for a sum
    bool other_bucket = false;                  ///< site="other": the sites beyond max_sites
};

void add_counts(Series& into, const CreationSite& s) {
    into.alive += s.alive;
    into.parked += s.parked;
    into.created += s.created;
    into.exited += s.exited;
    into.leaking = into.leaking || s.verdict == SiteVerdict::Leaking;
}

/// Leaking first, then most alive; the rest of the key only makes the order,
/// and so which sites get their own series, the same from one scrape to the next.
bool ranks_before(const CreationSite* a, const CreationSite* b) {
    const bool la = a->verdict == SiteVerdict::Leaking, lb = b->verdict == SiteVerdict::Leaking;
    if (la != lb) return la;
    if (a->alive != b->alive) return a->alive > b->alive;
    if (a->parked != b->parked) return a->parked > b->parked;
    if (a->created != b->created) return a->created > b->created;
    if (a->pid != b->pid) return a->pid < b->pid;
    return a->label < b->label;
}

Series own_series(const CreationSite& s) {
    Series out;
    out.pid = s.pid;
    out.comm = prometheus_label_value(s.comm);
    out.site = prometheus_label_value(s.label.empty() ? "unknown" : s.label);
    out.verdict = to_string(s.verdict);
    out.worst = s.verdict;
    out.slope = s.slope_per_min;
    out.source = &s;
    add_counts(out, s);
    return out;
}

/// Told apart by the site's frame (module file name + offset), kept whole
/// however long the label: two sites named alike, or a site named "other".
std::string disambiguated_site(const CreationSite& s, size_t index) {
    std::string tag;
    if (!s.created_by.empty()) {
        const Frame& frame = s.created_by.back();
        const size_t slash = frame.module.rfind('/');
        char offset[24];
        std::snprintf(offset, sizeof offset, "+0x%" PRIx64, frame.offset);
        tag = " [" + prometheus_label_value(frame.module.substr(slash == std::string::npos ? 0 : slash + 1), 64) +
              offset + "]";
    } else {
        tag = " [site " + std::to_string(index + 1) + "]";
    }
    return prometheus_label_value(s.label.empty() ? "unknown" : s.label, kPrometheusLabelMaxBytes - tag.size()) +
           tag;
}

/// Gives every series a distinct (pid, comm, site): sites whose labels
/// collide are told apart by their frame; any that still collide are summed.
std::vector<Series> distinct(std::vector<Series> series) {
    std::map<std::tuple<int, std::string, std::string>, size_t> count;
    for (const auto& s : series) ++count[{s.pid, s.comm, s.site}];
    for (size_t i = 0; i < series.size(); ++i) {
        Series& s = series[i];
        if (s.source != nullptr && (s.site == kOther || count[{s.pid, s.comm, s.site}] > 1))
            s.site = disambiguated_site(*s.source, i);
    }
    std::vector<Series> out;
    std::map<std::tuple<int, std::string, std::string>, size_t> at;
    for (auto& s : series) {
        const auto [it, fresh] = at.try_emplace({s.pid, s.comm, s.site}, out.size());
        if (fresh) {
            out.push_back(std::move(s));
            continue;
        }
        Series& into = out[it->second];
        into.alive += s.alive;
        into.parked += s.parked;
        into.created += s.created;
        into.exited += s.exited;
        into.leaking = into.leaking || s.leaking;
        into.worst = std::max(into.worst, s.worst);
        if (!into.other_bucket) into.verdict = to_string(into.worst);
        into.slope.reset();
        into.source = nullptr;
    }
    return out;
}

/// The series of the report's sites, bounded as the header says.
std::vector<Series> bounded_series(const std::vector<CreationSite>& sites, size_t max_sites) {
    std::vector<const CreationSite*> ranked;
    ranked.reserve(sites.size());
    for (const auto& s : sites) ranked.push_back(&s);
    std::sort(ranked.begin(), ranked.end(), ranks_before);

    std::vector<Series> series;
    std::map<int, size_t> kept;   // own series so far, by pid
    std::map<int, Series> other;  // by pid
    for (const CreationSite* site : ranked) {
        const CreationSite& s = *site;
        if (kept[s.pid] < max_sites) {
            kept[s.pid]++;
            series.push_back(own_series(s));
            continue;
        }
        auto [it, fresh] = other.try_emplace(s.pid);
        if (fresh) {
            it->second.pid = s.pid;
            it->second.comm = prometheus_label_value(s.comm);
            it->second.site = kOther;
            it->second.verdict = kOther;
            it->second.other_bucket = true;
        }
        add_counts(it->second, s);
    }
    for (auto& [pid, s] : other) series.push_back(std::move(s));
    return distinct(std::move(series));
}

using Labels = std::vector<prometheus::ClientMetric::Label>;

Labels labels_of(const Series& s, bool with_verdict) {
    Labels labels{{"pid", std::to_string(s.pid)}, {"comm", s.comm}, {"site", s.site}};
    if (with_verdict) labels.push_back({"verdict", s.verdict});
    return labels;
}

prometheus::ClientMetric sample(prometheus::MetricType type, Labels labels, double value) {
    prometheus::ClientMetric m;
    m.label = std::move(labels);
    if (type == prometheus::MetricType::Counter) m.counter.value = value;
    else m.gauge.value = value;
    return m;
}

prometheus::MetricFamily family(std::string name, std::string help, prometheus::MetricType type) {
    prometheus::MetricFamily f;
    f.name = std::move(name);
    f.help = std::move(help);
    f.type = type;
    return f;
}

/// A family with one sample per series, `value` of each, labelled with or without the verdict.
template <typename Value>
prometheus::MetricFamily site_family(std::string name, std::string help, prometheus::MetricType type,
                                     const std::vector<Series>& series, bool with_verdict, Value value) {
    prometheus::MetricFamily f = family(std::move(name), std::move(help), type);
    for (const auto& s : series)
        if (const std::optional<double> v = value(s)) f.metric.push_back(sample(type, labels_of(s, with_verdict), *v));
    return f;
}

prometheus::MetricFamily single(std::string name, std::string help, prometheus::MetricType type, double value) {
    prometheus::MetricFamily f = family(std::move(name), std::move(help), type);
    f.metric.push_back(sample(type, {}, value));
    return f;
}

}  // namespace

std::string prometheus_label_value(std::string_view s, size_t max_bytes) {
    max_bytes = std::max(max_bytes, kEllipsis.size() + 1);
    std::string out = replace_unsafe(s);
    if (out.size() <= max_bytes) return out;
    size_t cut = max_bytes - kEllipsis.size();
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80) --cut;  // not inside a character
    out.resize(cut);
    out += kEllipsis;
    return out;
}

std::vector<prometheus::MetricFamily> site_metrics(const Report& report, size_t max_sites) {
    using prometheus::MetricType;
    const std::vector<Series> series = bounded_series(report.sites, max_sites);
    const auto count = [](uint64_t Series::*field) {
        return [field](const Series& s) { return std::optional<double>(static_cast<double>(s.*field)); };
    };
    std::vector<prometheus::MetricFamily> out;
    out.push_back(site_family("threadleak_site_threads_alive",
                              "Threads of the creation site alive now.", MetricType::Gauge, series, true,
                              count(&Series::alive)));
    out.push_back(site_family("threadleak_site_threads_parked",
                              "Threads of the creation site parked now: in a wait with no timeout, not woken "
                              "once, for at least --threshold.",
                              MetricType::Gauge, series, true, count(&Series::parked)));
    out.push_back(site_family("threadleak_site_threads_created_total",
                              "Threads the creation site created during the observation.", MetricType::Counter,
                              series, true, count(&Series::created)));
    out.push_back(site_family("threadleak_site_threads_exited_total",
                              "Threads of the creation site that exited during the observation.",
                              MetricType::Counter, series, true, count(&Series::exited)));
    out.push_back(site_family("threadleak_site_leaking",
                              "1 when the growth rule says the creation site leaks (site=\"other\": any of "
                              "the sites summed there), else 0.",
                              MetricType::Gauge, series, false,
                              [](const Series& s) { return std::optional<double>(s.leaking ? 1 : 0); }));
    out.push_back(site_family("threadleak_site_slope_per_minute",
                              "Least-squares slope of the site's alive (or parked) threads, per minute; "
                              "absent until known.",
                              MetricType::Gauge, series, true, [](const Series& s) { return s.slope; }));
    out.push_back(single("threadleak_lost_events_total",
                         "Events lost on the way (ring buffer full, processes not followed, malformed "
                         "records): any of them can hide a leak.",
                         MetricType::Counter, static_cast<double>(report.health.lost_events())));
    out.push_back(single("threadleak_observed_seconds", "How long threadleak has observed so far.",
                         MetricType::Gauge, static_cast<double>(report.session.duration_ns.value_or(0)) / 1e9));
    out.push_back(single("threadleak_leaked_threads", "Leaked threads in the report (parked ones included).",
                         MetricType::Gauge, static_cast<double>(report.leaked_thread_count())));
    return out;
}

}  // namespace threadleak
