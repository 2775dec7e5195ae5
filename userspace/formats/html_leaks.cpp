#include "formats/html_leaks.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "formats/flame_stacks.h"
#include "formats/markup_escape.h"
#include "formats/syscall_text.h"
#include "formats/text_format.h"
#include "formats/text_sites.h"
#include "formats/goroutine_text.h"
#include "formats/wait_text.h"
#include "formats/wording.h"

namespace threadleak {
namespace {

constexpr size_t kMaxListedThreads = 20;

int kind_rank(LeakKind k) {
    switch (k) {
    case LeakKind::Deadlock:
    case LeakKind::Parked:
    case LeakKind::Busy:
    case LeakKind::Ticking:
    case LeakKind::Unjoined:
    case LeakKind::KilledByExec:
    case LeakKind::LeftRunning:
    case LeakKind::Goroutine: return 0;
    case LeakKind::OutlivedTest: return 1;
    case LeakKind::Hung: return 2;
    case LeakKind::AliveAtCrash: return 3;
    }
    return 3;
}

/// 0: waits with no timeout (nothing will wake it); 1: anything else.
int wait_rank(const LeakGroup& g) {
    if (g.state != ThreadState::Blocked || !g.blocked_in) return 1;
    const BlockedIn& b = *g.blocked_in;
    const bool forever = !b.timeout_ns && (!b.timeout || b.timeout->form == TimeoutForm::None);
    return forever ? 0 : 1;
}

uint64_t blocked_ns(const LeakGroup& g) {
    return g.blocked_in && g.blocked_in->blocked_for ? g.blocked_in->blocked_for->ns : 0;
}

std::string value_html(const ArgPair& p) {
    if (const auto* n = std::get_if<int64_t>(&p.value)) return std::to_string(*n);
    return escape_markup(std::get<std::string>(p.value));
}

/// futex(uaddr=0x..., op=FUTEX_WAIT_PRIVATE, val=0, timeout=none), as the text format shows it.
std::string call_html(const BlockedIn& b) {
    std::string s = escape_markup(b.syscall) + "(";
    bool first = true;
    for (size_t i = 0; i < b.args.size(); ++i) {
        for (const ArgPair& p : arg_pairs(b, i)) {
            if (!first) s += ", ";
            first = false;
            s += escape_markup(p.name) + "=" + value_html(p);
        }
        if (auto kind = fd_kind_text(b, i)) s += " (" + escape_markup(*kind) + ")";
    }
    return s + ")";
}

std::string kind_html(const LeakGroup& g, Mode mode) {
    switch (g.kind) {
    case LeakKind::Hung: return "still alive when the --timeout expired";
    case LeakKind::Unjoined: return "never joined: still alive when its process exited";
    case LeakKind::KilledByExec: return "never joined: killed by exec (another thread of its process called execve)";
    case LeakKind::LeftRunning: return "alive when the command exited, in a leaked process";
    case LeakKind::OutlivedTest: return "still alive when the test that created it ended (it exited later)";
    case LeakKind::AliveAtCrash: return "alive when a signal killed its process (not counted as a leak)";
    case LeakKind::Parked:
        return mode == Mode::Attach ? "parked: in a wait with no timeout, not woken once"
                                    : "never joined: parked (in a wait with no timeout) when its process exited";
    case LeakKind::Deadlock: return "deadlocked: it and the threads it waits for wait for each other";
    case LeakKind::Busy: return "never joined: running user code when its process exited";
    case LeakKind::Ticking: return "never joined: ticking (woken by a timer again and again) when its process exited";
    case LeakKind::Goroutine:
        if (g.goroutine && !g.goroutine->at_exit)
            return mode == Mode::Attach ? "goroutine parked in the same wait for at least the threshold"
                                        : "goroutine still there when the --timeout expired";
        return "goroutine that never ended: still there when its process exited";
    }
    return "";
}

/// What the thread was doing, one sentence.
std::string state_html(const LeakGroup& g) {
    switch (g.state) {
    case ThreadState::Running: return "Running in user code (busy loop?)";
    case ThreadState::Starting: return "Starting: created, but killed before it first ran";
    case ThreadState::Ia32:
        return "In 32-bit (ia32) code: 32-bit processes are not supported, so its syscall and stacks "
               "are not decoded";
    case ThreadState::Execing:
        return g.blocked_in ? "Exec&#39;ing: in <code>" + call_html(*g.blocked_in) + "</code>" : "Exec&#39;ing";
    case ThreadState::Goroutine: {
        if (!g.goroutine) return "Goroutine";
        const GoroutineFacts& f = *g.goroutine;
        std::string s = "Goroutine <code>" + escape_markup(goroutine_state_text(f)) + "</code>";
        if (f.waiting_ns) s += std::string(f.waiting_exact ? " for " : " for at least ") + whole_duration(*f.waiting_ns);
        if (f.blocked_frame) s += ", blocked in <code>" + escape_markup(go_frame_text(*f.blocked_frame)) + "</code>";
        return s + "; started as <code>" + escape_markup(f.start_function.function.value_or("?")) + "</code>";
    }
    case ThreadState::Blocked: break;
    }
    if (!g.blocked_in) return "Blocked (syscall unknown)";
    std::string s = "Blocked in <code>" + call_html(*g.blocked_in) + "</code>";
    if (g.blocked_in->blocked_for) s += " for " + blocked_for_html(*g.blocked_in->blocked_for, g.threads.size() > 1);
    if (const std::string w = wait_phrase(g); !w.empty()) s += "; " + escape_markup(w);
    return s;
}

bool is_runtime_library(const Frame& f) {
    const size_t slash = f.module.rfind('/');
    const std::string_view name = std::string_view(f.module).substr(slash == std::string::npos ? 0 : slash + 1);
    for (const char* prefix : {"libc.so", "libc-", "libpthread", "libstdc++", "ld-linux"})
        if (name.starts_with(prefix)) return true;
    return false;
}

/// "fn file:line" of the code that started the thread (innermost frame
/// outside the C and C++ runtimes), or what stands for it.
std::string site_html(const LeakGroup& g) {
    if (g.created_before_attach) return "(created before attach)";
    if (g.created_by.empty())
        return g.first().tid == g.first().pid ? "(a main thread: its process&#39;s start)"
                                              : "(created before tracing began)";
    auto it = std::find_if(g.created_by.begin(), g.created_by.end(),
                           [](const Frame& f) { return !is_runtime_library(f); });
    const Frame& f = it != g.created_by.end() ? *it : g.created_by.front();
    std::string s = "<code>" + escape_markup(flame_frame_text(f)) + "</code>";
    if (f.file) s += " " + escape_markup(*f.file) + (f.line ? ":" + std::to_string(*f.line) : "");
    return s;
}

}  // namespace

std::string blocked_for_html(const BlockedFor& b, bool group) {
    if (b.exact) return (group ? "up to " : "") + short_duration(b.ns);
    return "at least " + short_duration(b.ns) + (group ? " (the longest)" : "");
}

std::vector<const LeakGroup*> most_likely_first(const std::vector<const LeakGroup*>& groups) {
    std::vector<const LeakGroup*> sorted = groups;
    std::stable_sort(sorted.begin(), sorted.end(), [](const LeakGroup* a, const LeakGroup* b) {
        const auto key = [](const LeakGroup* g) {
            return std::make_tuple(kind_rank(g->kind), wait_rank(*g), -static_cast<int64_t>(g->threads.size()),
                                   -static_cast<int64_t>(blocked_ns(*g)));
        };
        return key(a) < key(b);
    });
    return sorted;
}

void write_stack_details(const std::string& summary, const Stack& stack, bool open, std::ostream& out) {
    out << "<details" << (open ? " open=\"open\"" : "") << "><summary>" << summary << " ("
        << plural(stack.size(), "frame", "frames") << ")</summary>\n";
    if (stack.empty()) {
        out << "<p>(no stack)</p></details>\n";
        return;
    }
    out << "<ol class=\"stack\" start=\"0\">\n";
    for (const Frame& f : stack) {
        char off[24];
        std::snprintf(off, sizeof off, "+0x%" PRIx64, f.offset);
        out << "<li><code class=\"fn\">" << (f.function ? escape_markup(*f.function) : std::string("??"))
            << "</code>";
        if (f.file)
            out << " <span class=\"loc\">" << escape_markup(*f.file)
                << (f.line ? ":" + std::to_string(*f.line) : "") << "</span>";
        out << " <span class=\"mod\">" << escape_markup(f.module) << off << "</span></li>\n";
    }
    out << "</ol></details>\n";
}

namespace {

/// A group of goroutines: Go's words for what they wait in, their stack, the `go` statement.
void write_goroutine_article(const LeakGroup& g, Mode mode, const std::string& id, const std::string& h,
                             std::ostream& out) {
    const GoroutineFacts& f = *g.goroutine;
    out << "<article class=\"leak\" aria-labelledby=\"" << id << "\">\n<" << h << " id=\"" << id << "\">"
        << escape_markup(goroutine_phrase(g, mode)) << "</" << h << ">\n";
    if (g.test) out << "<p>Leaked by test <code>" << escape_markup(*g.test) << "</code></p>\n";
    out << "<p>" << state_html(g) << "</p>\n";
    out << "<p>Created by the go statement at " << site_html(g) << "</p>\n";
    write_stack_details("Goroutine stack", f.frames, true, out);
    write_stack_details("Go statement", g.created_by, false, out);
    out << "<p>" << escape_markup(goid_list_text(f, kMaxListedThreads)) << "</p>\n</article>\n";
}

}  // namespace

void write_leak_article(const LeakGroup& g, Mode mode, const std::string& id, int level, std::ostream& out) {
    if (g.goroutine) {
        write_goroutine_article(g, mode, id, "h" + std::to_string(level), out);
        return;
    }
    const ThreadIdentity& first = g.first();
    const bool main_thread = first.tid == first.pid;
    const std::string h = "h" + std::to_string(level);
    out << "<article class=\"leak" << (is_leak(g.kind) ? "" : " context") << "\" aria-labelledby=\"" << id
        << "\">\n<" << h << " id=\"" << id << "\">";
    if (g.threads.size() > 1) out << plural(g.threads.size(), "thread", "threads") << " like ";
    out << (main_thread ? "main thread T" : "thread T") << first.tid << " &quot;" << escape_markup(first.name)
        << "&quot; of pid " << first.pid << " (<code>" << escape_markup(first.exe) << "</code>): "
        << kind_html(g, mode) << "</" << h << ">\n";
    if (g.test) out << "<p>Leaked by test <code>" << escape_markup(*g.test) << "</code></p>\n";
    out << "<p>" << state_html(g) << "</p>\n";
    if (g.created_before_attach)
        out << "<p>C" << escape_markup(text_before_attach(g).substr(1)) << "</p>\n";
    else if (first.creator_tid)
        out << "<p>Created by thread T" << *first.creator_tid << " at " << site_html(g) << "</p>\n";
    else if (main_thread && g.created_by.empty())
        out << "<p>The process&#39;s main thread</p>\n";
    else
        out << "<p>Created before tracing began</p>\n";
    if (g.state == ThreadState::Running)
        write_stack_details("Running stack", g.running_frames, true, out);
    else if (g.blocked_in)
        write_stack_details("Blocking stack", g.blocked_in->frames, true, out);
    if (!g.created_before_attach && (!g.created_by.empty() || first.creator_tid)) write_stack_details("Creation stack", g.created_by, false, out);
    if (g.threads.size() > 1) {
        out << "<p>Threads:";
        for (size_t i = 0; i < g.threads.size() && i < kMaxListedThreads; ++i)
            out << (i ? ", " : " ") << "T" << g.threads[i].tid << " &quot;" << escape_markup(g.threads[i].name)
                << "&quot;";
        if (g.threads.size() > kMaxListedThreads) out << " and " << g.threads.size() - kMaxListedThreads << " more";
        out << "</p>\n";
    }
    out << "</article>\n";
}

void write_site_table(const std::vector<const LeakGroup*>& groups, std::ostream& out) {
    struct Site {
        size_t threads = 0, groups = 0, order = 0;
        std::set<std::string> kinds, calls;
    };
    std::map<std::string, Site> sites;
    for (const LeakGroup* g : groups) {
        auto [it, added] = sites.try_emplace(site_html(*g));
        Site& s = it->second;
        if (added) s.order = sites.size();
        s.threads += g->threads.size();
        s.groups++;
        s.kinds.insert(to_string(g->kind));
        if (g->state == ThreadState::Blocked && g->blocked_in) s.calls.insert(escape_markup(g->blocked_in->syscall));
        else s.calls.insert(to_string(g->state));
    }
    std::vector<std::pair<const std::string*, const Site*>> rows;
    for (const auto& [html, site] : sites) rows.emplace_back(&html, &site);
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return std::make_pair(-static_cast<int64_t>(a.second->threads), a.second->order) <
               std::make_pair(-static_cast<int64_t>(b.second->threads), b.second->order);
    });
    const auto joined = [](const std::set<std::string>& words) {
        std::string s;
        for (const std::string& w : words) s += (s.empty() ? "" : ", ") + w;
        return s;
    };
    out << "<table class=\"sites\">\n<caption>Where the leaked threads were started, most threads first</caption>\n"
           "<thead><tr><th scope=\"col\">Creation site</th><th scope=\"col\">Threads</th>"
           "<th scope=\"col\">Groups</th><th scope=\"col\">Kinds</th><th scope=\"col\">In</th></tr></thead>\n<tbody>\n";
    for (const auto& [html, site] : rows)
        out << "<tr><th scope=\"row\">" << *html << "</th><td class=\"n\">" << site->threads
            << "</td><td class=\"n\">" << site->groups << "</td><td>" << joined(site->kinds) << "</td><td>"
            << joined(site->calls) << "</td></tr>\n";
    out << "</tbody>\n</table>\n";
}

void write_attach_site_table(const std::vector<CreationSite>& sites, std::ostream& out) {
    out << "<table class=\"sites\">\n<caption>Creation sites, leaking first: their threads over the observation"
           "</caption>\n<thead><tr><th scope=\"col\">Verdict</th><th scope=\"col\">Creation site</th>"
           "<th scope=\"col\">Process</th><th scope=\"col\">Created</th><th scope=\"col\">Exited</th>"
           "<th scope=\"col\">Alive</th><th scope=\"col\">Parked</th>"
           "<th scope=\"col\">Lifetime min/p50/p99/max</th><th scope=\"col\">Slope/min</th>"
           "<th scope=\"col\">In 24 h</th></tr></thead>\n<tbody>\n";
    for (const CreationSite& s : sites) {
        out << "<tr class=\"" << to_string(s.verdict) << "\"><td>" << text_site_verdict(s.verdict)
            << "</td><th scope=\"row\"><code>" << (s.label.empty() ? text_site_label(s) : escape_markup(s.label))
            << "</code>";
        if (!s.created_before_attach && !s.created_by.empty())
            write_stack_details("Creation stack", s.created_by, false, out);
        out << "</th><td>" << s.pid << " (<code>" << escape_markup(s.comm) << "</code>)</td><td class=\"n\">"
            << s.created << "</td><td class=\"n\">" << s.exited << "</td><td class=\"n\">" << s.alive
            << "</td><td class=\"n\">" << s.parked << "</td><td>" << text_site_lifetimes(s.lifetime_ns)
            << "</td><td class=\"n\">" << (s.slope_per_min ? signed_rate(*s.slope_per_min) : "-")
            << "</td><td class=\"n\">" << (s.projected_24h ? rounded_count(*s.projected_24h) : "-")
            << "</td></tr>\n";
    }
    out << "</tbody>\n</table>\n";
}

}  // namespace threadleak
