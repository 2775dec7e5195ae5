// The attach report as Prometheus metric families, for `attach --prometheus`
// (modes/metrics_endpoint.h serves them; prometheus-cpp's TextSerializer writes
// them). Per creation site: threads alive, parked, created and exited, whether
// it leaks, its slope; and the session's health. Pure: the same report gives
// the same families.
//
// Cardinality is bounded: in each process, the `max_sites` sites with most
// alive threads (leaking sites first, whatever their count) get series of
// their own; the others are summed into one series with site="other" and
// verdict="other" (a fixed value, so the bucket keeps one identity while its
// members' verdicts change; threadleak_site_leaking{site="other"} is 1 when any
// of them leaks, so an alert on it still fires). Every site family holds the
// same sites.
//
// Label values come from the target (function names, file names, comm): each is
// made valid UTF-8 without controls (prometheus_label_value), and no two series
// of a family share a label set, or a Prometheus server would reject the scrape.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>

#include "report/report.h"

namespace threadleak {

/// Longest label value, in bytes: longer ones are cut on a character
/// boundary and end in "…".
inline constexpr size_t kPrometheusLabelMaxBytes = 200;

/// `s` as a label value: each byte of invalid UTF-8, each control character
/// (C0, DEL, C1) and each invisible or reordering character (bidi controls,
/// zero-width characters, the BOM) replaced by U+FFFD; then cut to at most
/// `max_bytes` (at least 4) on a character boundary, ending in "…" when cut.
/// Quotes and backslashes are kept: the serializer escapes them.
std::string prometheus_label_value(std::string_view s, size_t max_bytes = kPrometheusLabelMaxBytes);

/// The families for `report`, in a fixed order:
///   threadleak_site_threads_alive{pid,comm,site,verdict}          gauge
///   threadleak_site_threads_parked{pid,comm,site,verdict}         gauge
///   threadleak_site_threads_created_total{pid,comm,site,verdict}  counter, during the observation
///   threadleak_site_threads_exited_total{pid,comm,site,verdict}   counter, during the observation
///   threadleak_site_leaking{pid,comm,site}                        gauge, 0 or 1
///   threadleak_site_slope_per_minute{pid,comm,site,verdict}       gauge, sites whose slope is known
///                                                                 (never site="other")
///   threadleak_lost_events_total                                  counter
///   threadleak_observed_seconds                                   gauge
///   threadleak_leaked_threads                                     gauge
std::vector<prometheus::MetricFamily> site_metrics(const Report& report, size_t max_sites);

}  // namespace threadleak
