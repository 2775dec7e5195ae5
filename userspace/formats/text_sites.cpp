#include "formats/text_sites.h"

#include <algorithm>

#include "formats/text_escape.h"
#include "formats/text_format.h"
#include "formats/wording.h"

namespace threadleak {
namespace {

/// Rows of cells, columns padded to their widest cell; `right` says which
/// columns are numbers (aligned right). The last column is not padded: it
/// holds target strings, whose width on a terminal bytes do not tell.
void write_table(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right,
                 std::ostream& out) {
    std::vector<size_t> width(right.size(), 0);
    for (const auto& row : rows)
        for (size_t c = 0; c + 1 < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    for (const auto& row : rows) {
        std::string line;
        for (size_t c = 0; c < row.size(); ++c) {
            const std::string pad(c + 1 < row.size() ? width[c] - row[c].size() : 0, ' ');
            line += "  " + (right[c] ? pad + row[c] : row[c] + pad);
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out << line << '\n';
    }
}

}  // namespace

std::string text_site_verdict(SiteVerdict v) { return v == SiteVerdict::TooEarly ? "too early" : to_string(v); }

std::string text_site_label(const CreationSite& s) {
    if (!s.label.empty()) return escape_text(s.label);
    return s.created_before_attach ? "created before attach" : "(unnamed site)";
}

std::string text_site_lifetimes(const std::optional<Lifetimes>& l) {
    if (!l) return "-";
    return short_duration(l->min_ns) + "/" + short_duration(l->p50_ns) + "/" + short_duration(l->p99_ns) + "/" +
           short_duration(l->max_ns);
}

std::string text_site_name(const CreationSite& s) {
    return "site " + text_site_label(s) + " in pid " + std::to_string(s.pid) + " (" + escape_text(s.comm) + ")";
}

std::string text_site_growth(const CreationSite& s) {
    std::string text = std::to_string(s.alive) + " alive";
    if (s.slope_per_min) {
        text += " (" + signed_rate(*s.slope_per_min) + "/min";
        if (s.projected_24h) text += ", " + rounded_count(*s.projected_24h) + " projected in 24 h";
        text += ")";
    }
    return text + ", " + std::to_string(s.exited) + " of " + std::to_string(s.created) + " created exited";
}

void write_text_leaking_site(const CreationSite& s, std::ostream& out) {
    const std::string pfx = "==" + std::to_string(s.pid) + "== ";
    out << pfx << "threadleak: " << text_site_name(s) << " is leaking: " << text_site_growth(s) << '\n';
    if (s.series.size() >= 2) {
        const SitePoint& a = s.series.front();
        const SitePoint& b = s.series.back();
        out << pfx << "  over " << whole_duration(b.t_ns - a.t_ns) << " (" << s.series.size()
            << " points): alive " << a.alive << " -> " << b.alive << ", parked " << a.parked << " -> " << b.parked
            << '\n';
    }
    if (s.created_before_attach) {
        out << pfx << "  its threads were created before attach\n";
    } else {
        out << pfx << "  its threads are created at:\n";
        write_text_stack(s.created_by, out);
    }
    out << '\n';
}

void write_text_site_table(const std::vector<CreationSite>& sites, std::ostream& out) {
    if (sites.empty()) return;
    std::vector<std::vector<std::string>> rows = {{"verdict", "created", "exited", "alive", "parked",
                                                   "lifetime min/p50/p99/max", "slope/min", "in 24 h", "site"}};
    for (const CreationSite& s : sites)
        rows.push_back({text_site_verdict(s.verdict), std::to_string(s.created), std::to_string(s.exited),
                        std::to_string(s.alive), std::to_string(s.parked), text_site_lifetimes(s.lifetime_ns),
                        s.slope_per_min ? signed_rate(*s.slope_per_min) : "-",
                        s.projected_24h ? rounded_count(*s.projected_24h) : "-",
                        "pid " + std::to_string(s.pid) + " (" + escape_text(s.comm) + "): " + text_site_label(s)});
    out << "threadleak: statistics of " << plural(sites.size(), "creation site", "creation sites") << ":\n";
    write_table(rows, {false, true, true, true, true, false, true, true, false}, out);
    out << '\n';
}

std::string text_attach_status(const SessionInfo& s) {
    std::string text = "attach to " + plural(s.pids.size(), "process", "processes");
    if (s.duration_ns) text += " for " + whole_duration(*s.duration_ns);
    return text;
}

std::string text_attach_verdict(const Report& r) {
    uint64_t parked = 0, other = 0, parked_goroutines = 0, goroutines_at_exit = 0;
    for (const LeakGroup& g : r.leaks) {
        if (g.goroutine)
            (g.goroutine->at_exit ? goroutines_at_exit : parked_goroutines) += g.goroutine->goids.size();
        else
            (g.kind == LeakKind::Parked ? parked : other) += g.threads.size();
    }
    const bool too_early = !r.sites.empty() && std::all_of(r.sites.begin(), r.sites.end(), [](const CreationSite& s) {
        return s.verdict == SiteVerdict::TooEarly;
    });
    std::string text;
    if (too_early) {
        text = "too early to tell";
        const SessionInfo& s = r.session;
        if (s.duration_ns && s.min_observation_ns)
            text += ": observed " + whole_duration(*s.duration_ns) + " of the " + whole_duration(*s.min_observation_ns) +
                    " --min-observation needs";
        else if (s.duration_ns)
            text += ": observed " + whole_duration(*s.duration_ns) + ", less than --min-observation needs";
        text += "; ";
    } else {
        text = plural(r.leaking_site_count(), "leaking site", "leaking sites") + ", ";
    }
    text += plural(parked, "parked thread", "parked threads");
    if (other)
        text += ", " + plural(other, "thread never joined when its process exited",
                              "threads never joined when their process exited");
    if (parked_goroutines) text += ", " + plural(parked_goroutines, "parked goroutine", "parked goroutines");
    if (goroutines_at_exit)
        text += ", " + plural(goroutines_at_exit, "goroutine left when its process exited",
                              "goroutines left when their process exited");
    return text;
}

}  // namespace threadleak
