// The parts of the html report that describe leaked threads: one <article>
// per leak group (headline, the decoded call, both stacks as expandable
// lists with file:line), the order they are listed in, and the table of
// creation sites. Every target string is escaped with escape_markup.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "report/report.h"

namespace threadleak {

/// The groups sorted most likely leak first: never joined, killed by exec
/// and left running before outlived a test before hung at --timeout; within
/// those, a wait without a timeout before a timed wait or a running thread;
/// then more threads first, then blocked longer; else in report order.
std::vector<const LeakGroup*> most_likely_first(const std::vector<const LeakGroup*>& groups);

/// One group as an <article> whose heading is at `level` (3 or 4); `id` is
/// its element id (ASCII, made by the caller).
void write_leak_article(const LeakGroup& g, Mode mode, const std::string& id, int level, std::ostream& out);

/// An expandable stack: <details><summary>SUMMARY (N frames)</summary><ol>...</ol></details>.
void write_stack_details(const std::string& summary, const Stack& stack, bool open, std::ostream& out);

/// One row per creation site (the innermost creation frame outside libc,
/// libpthread and libstdc++: the code that started the thread), most threads
/// first: threads, groups, kinds, and the syscalls they are blocked in.
void write_site_table(const std::vector<const LeakGroup*>& groups, std::ostream& out);

/// attach: one row per creation site (Report::sites, in its order) with its
/// verdict, counts, lifetimes, slope and projection; a site's creation stack
/// expandable under its name.
void write_attach_site_table(const std::vector<CreationSite>& sites, std::ostream& out);

/// "2.50s", "up to 2.50s" (a group's longest), "at least 2.50s" (a lower bound).
std::string blocked_for_html(const BlockedFor& b, bool group);

}  // namespace threadleak
