// attach: the text format's parts for creation sites (Report::sites): the
// entry of a leaking site, the statistics table of every site, and the
// phrases of the summary. The html and junit formats embed them, so every
// format words a verdict alike. Target strings go through escape_text.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "report/report.h"

namespace threadleak {

/// "leaking", "parked", "ok", "too early".
std::string text_site_verdict(SiteVerdict verdict);

/// The site's label, escaped; "created before attach" or "(unnamed site)" without one.
std::string text_site_label(const CreationSite& site);

/// "1.00ms/2.50ms/9.00ms/1.20s" (min/p50/p99/max); "-" when none of its threads ended.
std::string text_site_lifetimes(const std::optional<Lifetimes>& lifetimes);

/// "site start_session_reader (server.c:42) in pid 4242 (server)".
std::string text_site_name(const CreationSite& site);

/// "57 alive (+34.2/min, 49,305 projected in 24 h), 0 of 57 created exited".
std::string text_site_growth(const CreationSite& site);

/// A leaking site's entry: "==PID== threadleak: <name> is leaking: <growth>",
/// how its counts moved over the series, its creation stack, a blank line.
void write_text_leaking_site(const CreationSite& site, std::ostream& out);

/// One row per site, in the report's order: verdict, created, exited, alive,
/// parked, lifetimes min/p50/p99/max, slope per minute, count projected in
/// 24 h, then the site; followed by a blank line. Nothing when `sites` is empty.
void write_text_site_table(const std::vector<CreationSite>& sites, std::ostream& out);

/// "attach to 2 processes for 1m0s".
std::string text_attach_status(const SessionInfo& session);

/// "2 leaking sites, 57 parked threads"; when every site is too early:
/// "too early to tell: observed 12s of the 30s --min-observation needs; 57 parked threads".
/// Leaked threads of another kind (never joined when their process exited
/// during the observation) are counted after them.
std::string text_attach_verdict(const Report& report);

}  // namespace threadleak
