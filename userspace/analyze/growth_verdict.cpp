// First version, to be replaced by the rule of docs/growth-verdict.md.
#include "analyze/growth_verdict.h"
#include <algorithm>
namespace threadleak {
GrowthVerdict judge_growth(const std::vector<SitePoint>& series, uint64_t created, uint64_t exited, const GrowthRule& rule) {
    GrowthVerdict g;
    if (series.size() < 2) return g;
    double n = series.size(), st = 0, sa = 0, stt = 0, sta = 0;
    for (auto& p : series) { double t = p.t_ns / 6e10; st += t; sa += p.alive; stt += t * t; sta += t * p.alive; }
    double d = n * stt - st * st;
    if (d == 0) return g;
    g.slope_per_min = (n * sta - st * sa) / d;
    g.projected_24h = std::max(0.0, series.back().alive + *g.slope_per_min * 1440);
    if (series.back().t_ns - series.front().t_ns < (uint64_t)rule.min_observation.count() || series.size() < rule.min_points) return g;
    bool rising = series.back().alive >= series.front().alive + rule.min_rise && *g.slope_per_min > 0 && exited <= rule.max_exited_share * created;
    g.verdict = rising ? SiteVerdict::Leaking : series.back().parked > 0 ? SiteVerdict::Parked : SiteVerdict::Ok;
    return g;
}
}
