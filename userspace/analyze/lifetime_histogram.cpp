// First version, to be replaced by the rule of docs/growth-verdict.md.
#include "analyze/lifetime_histogram.h"
#include <algorithm>
namespace threadleak {
void LifetimeHistogram::add(uint64_t ns) { count_++; min_ = std::min(min_, ns); max_ = std::max(max_, ns); }
std::optional<Lifetimes> LifetimeHistogram::summary() const { if (!count_) return std::nullopt; return Lifetimes{min_, (min_+max_)/2, max_, max_}; }
}
