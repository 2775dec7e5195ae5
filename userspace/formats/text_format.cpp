// The "text" report format: sanitizer-shaped, for stderr. One block per leak
// group ("==PID== threadleak: ..." headline, the blocking or running stack,
// the creation stack), then one SUMMARY line. Attach reports lead with the
// leaking creation sites and end with a table of every site (text_sites.h).
// Not a parsing contract: use json.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "formats/report_format.h"
#include "formats/text_escape.h"
#include "formats/text_format.h"
#include "formats/text_sites.h"
#include "formats/syscall_text.h"
#include "formats/goroutine_text.h"
#include "formats/timer_text.h"
#include "formats/wait_text.h"
#include "formats/wording.h"

namespace threadleak {
namespace {

constexpr size_t kMaxListedTids = 10;

/// "2.50s", "at least 2.50s" (only a lower bound is known); a group's is its
/// longest: "up to 2.50s", "at least 2.50s (the longest)".
std::string blocked_for_text(const BlockedFor& b, bool group) {
    if (b.exact) return (group ? "up to " : "") + short_duration(b.ns);
    return "at least " + short_duration(b.ns) + (group ? " (the longest)" : "");
}

/// "was parked for 1m12s in futex (no timeout, not woken once)"; a group's
/// time is its longest ("for up to 1m12s").
std::string parked_text(const LeakGroup& g) {
    std::string s = "was parked";
    if (g.blocked_in && g.blocked_in->blocked_for) {
        const BlockedFor& b = *g.blocked_in->blocked_for;
        const bool group = g.threads.size() > 1;
        s += " for " + (b.exact ? (group ? "up to " : "") + whole_duration(b.ns)
                                : "at least " + whole_duration(b.ns) + (group ? " (the longest)" : ""));
    }
    if (g.blocked_in) s += " in " + escape_text(g.blocked_in->syscall);
    return s + " (no timeout, not woken once)";
}

/// "exited with code 0", "was killed by SIGKILL", ... for the traced command.
std::string command_status(const SessionInfo& r) {
    std::string s;
    if (r.signal)
        s = "command was killed by " + escape_text(*r.signal);
    else if (r.exit_code)
        s = "command exited with code " + std::to_string(*r.exit_code);
    else
        s = r.timed_out ? "command timed out" : "command exit status unknown";
    if (r.timed_out && (r.signal || r.exit_code)) s += " after the --timeout";
    return s;
}

std::string value_text(const ArgPair& p) {
    if (const auto* n = std::get_if<int64_t>(&p.value)) return std::to_string(*n);
    return escape_text(std::get<std::string>(p.value));
}

/// futex(uaddr=0x..., op=FUTEX_WAIT_PRIVATE, val=0, timeout=none); read(fd=3 (pipe), ...)
std::string call_text(const BlockedIn& b) {
    std::string s = escape_text(b.syscall) + "(";
    bool first = true;
    for (size_t i = 0; i < b.args.size(); ++i) {
        for (const ArgPair& p : arg_pairs(b, i)) {
            if (!first) s += ", ";
            first = false;
            s += escape_text(p.name) + "=" + value_text(p);
        }
        if (auto kind = fd_kind_text(b, i)) s += " (" + escape_text(*kind) + ")";
    }
    return s + ")";
}

/// argv as a shell would show it: words with a space (or empty) in quotes.
std::string cmdline_text(const LeakedProcess& p) {
    if (p.cmdline.empty()) return "command line unreadable";
    std::string s;
    for (const std::string& arg : p.cmdline) {
        if (!s.empty()) s += ' ';
        const bool quote = arg.empty() || arg.find_first_of(" \t\"'") != std::string::npos;
        s += quote ? "\"" + escape_quoted(arg) + "\"" : escape_text(arg);
    }
    return p.cmdline_truncated ? s + " ..." : s;
}

class TextWriter {
public:
    TextWriter(const Report& r, std::ostream& out) : r_(r), out_(out) {}

    void write() {
        if (r_.session.mode == Mode::Attach) {
            write_attach();
            return;
        }
        for (const auto& g : r_.alive_at_crash) write_group(g);
        if (!r_.has_leaks()) {
            out_ << (r_.health.lost_events() ? "threadleak: report incomplete: no leaked threads found ("
                                             : "threadleak: no leaked threads (")
                 << command_status(r_.session) << ")" << crash_text() << health_text() << '\n';
            write_suppressed();
            return;
        }
        write_deadlocks();
        for (const auto& g : r_.leaks) write_group(g);
        for (const auto& p : r_.leaked_processes) write_process(p);
        write_timers();
        std::set<int> pids;
        size_t thread_sites = 0;
        for (const auto& g : r_.leaks) {
            if (g.goroutine) continue;
            pids.insert(g.first().pid);
            thread_sites++;
        }
        out_ << "SUMMARY: threadleak: ";
        if (thread_sites)
            out_ << plural(r_.leaked_thread_count(), "leaked thread", "leaked threads") << " ("
                 << plural(thread_sites, "site", "sites") << ") in "
                 << plural(pids.size(), "process", "processes") << "; ";
        if (const size_t goroutine_sites = r_.leaks.size() - thread_sites) {
            std::set<int> go_pids;
            for (const auto& g : r_.leaks)
                if (g.goroutine) go_pids.insert(g.first().pid);
            out_ << plural(r_.leaked_goroutine_count(), "leaked goroutine", "leaked goroutines") << " ("
                 << plural(goroutine_sites, "site", "sites") << ") in "
                 << plural(go_pids.size(), "process", "processes") << "; ";
        }
        if (!r_.leaked_processes.empty())
            out_ << plural(r_.leaked_processes.size(), "leaked process", "leaked processes")
                 << " (still running when the command exited); ";
        if (!r_.timers.empty()) out_ << timer_count_text(r_.timers) << " (timerfds open at exit); ";
        out_ << command_status(r_.session) << crash_text() << health_text() << '\n';
        write_tests();
        write_suppressed();
    }

    /// The verdicts first: leaking sites, then the parked (and other leaked)
    /// threads; then the statistics of every site, and the summary.
    void write_attach() {
        for (const CreationSite& s : r_.sites)
            if (s.verdict == SiteVerdict::Leaking) write_text_leaking_site(s, out_);
        write_deadlocks();
        for (const auto& g : r_.leaks) write_group(g);
        for (const auto& p : r_.leaked_processes) write_process(p);
        for (const auto& g : r_.alive_at_crash) write_group(g);
        write_text_site_table(r_.sites, out_);
        out_ << "SUMMARY: threadleak: " << text_attach_status(r_.session) << ": " << text_attach_verdict(r_)
             << crash_text() << health_text() << '\n';
        write_tests();
        write_suppressed();
    }

    // The entries below are also written alone, for other formats (text_format.h).
    /// --per-test: one line per test that leaked, in the order the leaks are listed.
    void write_tests() {
        std::vector<std::pair<std::string, size_t>> tests;
        for (const LeakGroup& g : r_.leaks) {
            if (!g.test) continue;
            auto it = std::find_if(tests.begin(), tests.end(), [&](const auto& t) { return t.first == *g.test; });
            if (it == tests.end()) tests.emplace_back(*g.test, g.threads.size());
            else it->second += g.threads.size();
        }
        for (const auto& [test, n] : tests)
            out_ << "threadleak: test " << escape_text(test) << " leaked " << plural(n, "thread", "threads") << '\n';
    }

    /// Timerfds left open at exit, per creation site.
    void write_timers() {
        for (const LeakedTimers& t : r_.timers) {
            const std::string pfx = "==" + std::to_string(t.pid) + "== ";
            out_ << pfx << "threadleak: " << escape_text(timer_phrase(t)) << '\n';
            out_ << pfx << "  created by thread T" << t.creator_tid << " at:\n";
            write_stack(t.created_by);
            out_ << '\n';
        }
    }

    /// Deadlocks are the root cause of every thread in them: the first lines.
    void write_deadlocks() {
        for (size_t i = 0; i < r_.deadlocks.size(); i++) {
            const Deadlock& d = r_.deadlocks[i];
            const std::string pfx = "==" + std::to_string(d.pid) + "== ";
            out_ << pfx << "threadleak: deadlock #" << i << " of " << plural(d.cycle.size(), "thread", "threads")
                 << " in pid " << d.pid << ": each waits for the next, none can go on\n";
            for (size_t k = 0; k < d.edges.size(); k++) {
                const std::string& holder = d.edges[(k + 1) % d.edges.size()].name;
                out_ << pfx << "  " << escape_text(deadlock_edge_phrase(d.edges[k], holder)) << '\n';
            }
            out_ << pfx << "  (each thread's stacks follow below)\n\n";
        }
    }

    /// One line per rule, under the summary: nothing is silenced without a trace.
    void write_suppressed() {
        for (const SuppressedCount& s : r_.suppressed)
            out_ << "threadleak: suppressed " << suppressed_what(s) << " by " << escape_text(s.rule) << " ("
                 << escape_text(s.source) << ")\n";
    }

    /// A process left running: who started it where, then each of its threads.
    void write_process(const LeakedProcess& p) {
        const std::string pfx = "==" + std::to_string(p.pid) + "== ";
        out_ << pfx << "threadleak: leaked process " << p.pid << " (" << cmdline_text(p) << ") of "
             << escape_text(p.exe) << ", started by pid " << p.ppid << " (" << escape_text(p.parent_exe)
             << "), was never waited for: still running when the command exited (killed by threadleak)\n";
        if (p.creator_tid) {
            out_ << pfx << "  started by thread T" << *p.creator_tid << " at:\n";
            write_stack(p.created_by);
        } else {
            out_ << pfx << "  started before tracing began\n";
        }
        out_ << '\n';
        for (const auto& g : p.threads) write_group(g);
    }

    /// Threads that died with a crashed process are context, not leaks.
    std::string crash_text() const {
        size_t n = 0;
        for (const auto& g : r_.alive_at_crash) n += g.threads.size();
        if (n == 0) return "";
        return "; " + plural(n, "thread was", "threads were") +
               " alive when a signal killed its process (not counted as leaks)";
    }

    /// The signal that ended `pid`, if one did.
    std::string killing_signal(int pid) const {
        for (auto it = r_.processes.rbegin(); it != r_.processes.rend(); ++it)
            if (it->pid == pid && it->signal) return escape_text(*it->signal);
        return "a signal";
    }

    std::string health_text() const {
        std::string s;
        for (const std::string& problem : text_health_problems(r_.health)) s += "; " + problem;
        return s;
    }

    /// A group of goroutines: Go's wait reason, the blocked frame and its
    /// stack, then the `go` statement that started them.
    void write_goroutines(const LeakGroup& g) {
        const GoroutineFacts& f = *g.goroutine;
        const std::string pfx = "==" + std::to_string(g.first().pid) + "== ";
        out_ << pfx << "threadleak: " << escape_text(goroutine_phrase(g, r_.session.mode)) << '\n';
        if (g.test) out_ << pfx << "  leaked by test " << escape_text(*g.test) << '\n';
        out_ << pfx << "  " << goid_list_text(f, kMaxListedTids) << '\n';
        if (f.blocked_frame) out_ << pfx << "  blocked in " << escape_text(go_frame_text(*f.blocked_frame)) << '\n';
        write_stack(f.frames);
        out_ << pfx << "  started as " << escape_text(f.start_function.function.value_or("?"))
             << ", by the go statement at:\n";
        write_stack(g.created_by);
        out_ << '\n';
    }

    void write_group(const LeakGroup& g) {
        if (g.goroutine) {
            write_goroutines(g);
            return;
        }
        const ThreadIdentity& first = g.first();
        const std::string pfx = "==" + std::to_string(first.pid) + "== ";
        const bool main_thread = first.tid == first.pid;  // the lowest tid of its group, when grouped
        out_ << pfx << "threadleak: " << (main_thread ? "main thread T" : "thread T") << first.tid
             << " \"" << escape_quoted(first.name) << "\" of pid " << first.pid << " ("
             << escape_text(first.exe) << ") ";
        switch (g.kind) {
        case LeakKind::Hung: out_ << "was still alive when the --timeout expired"; break;
        case LeakKind::Unjoined: out_ << "was never joined: still alive when the process exited"; break;
        case LeakKind::KilledByExec:
            out_ << "was never joined: killed by exec (another thread of its process called execve)";
            break;
        case LeakKind::LeftRunning: out_ << "was alive when the command exited, in that leaked process"; break;
        case LeakKind::OutlivedTest:
            out_ << "was still alive when the test that created it ended (it exited later)";
            break;
        case LeakKind::Parked:
            if (r_.session.mode == Mode::Attach)
                out_ << parked_text(g);
            else
                out_ << "was never joined: parked when the process exited (a wait with no timeout)";
            break;
        case LeakKind::Deadlock: out_ << "was never joined: deadlocked when the process exited"; break;
        case LeakKind::Busy: out_ << "was never joined: running user code when the process exited"; break;
        case LeakKind::Ticking:
            out_ << "was never joined: ticking when the process exited (a loop woken by a timer, nobody stopped it)";
            break;
        case LeakKind::Goroutine: break;  // write_goroutines
        case LeakKind::AliveAtCrash:
            out_ << "was alive when " << killing_signal(first.pid)
                 << " killed the process (not counted as a leak)";
            break;
        }
        out_ << '\n';
        if (g.test) out_ << pfx << "  leaked by test " << escape_text(*g.test) << '\n';

        if (g.state == ThreadState::Running) {
            out_ << pfx << "  running in user code (busy loop?)\n";
            write_stack(g.running_frames);
        } else if (g.state == ThreadState::Starting) {
            out_ << pfx << "  starting: created, but killed before it first ran\n";
        } else if (g.state == ThreadState::Ia32) {
            out_ << pfx << "  in 32-bit (ia32) code: 32-bit processes are not supported, "
                           "so its syscall and stacks are not decoded\n";
        } else if (g.state == ThreadState::Execing && g.blocked_in) {
            out_ << pfx << "  exec'ing: in " << call_text(*g.blocked_in) << '\n';
            write_stack(g.blocked_in->frames);
        } else if (g.blocked_in) {
            const BlockedIn& b = *g.blocked_in;
            out_ << pfx << "  blocked in " << call_text(b);
            if (b.blocked_for) out_ << " for " << blocked_for_text(*b.blocked_for, g.threads.size() > 1);
            out_ << '\n';
            if (const std::string w = wait_phrase(g); !w.empty()) out_ << pfx << "  " << escape_text(w) << '\n';
            write_stack(b.frames);
        } else {
            out_ << pfx << "  blocked (syscall unknown)\n";
        }

        if (g.created_before_attach)
            out_ << pfx << "  " << text_before_attach(g) << '\n';
        else if (first.creator_tid)
            out_ << pfx << "  created by thread T" << *first.creator_tid << " at:\n";
        else if (main_thread)
            out_ << pfx << "  (the process's main thread)\n";
        else
            out_ << pfx << "  created before tracing began" << (g.created_by.empty() ? "\n" : " at:\n");
        if (!g.created_before_attach && (first.creator_tid || !g.created_by.empty())) write_stack(g.created_by);

        if (g.threads.size() > 1) {
            out_ << pfx << "  and " << plural(g.threads.size() - 1, "more thread", "more threads")
                 << " like this:";
            for (size_t i = 1; i < g.threads.size() && i <= kMaxListedTids; ++i)
                out_ << " T" << g.threads[i].tid;
            if (g.threads.size() - 1 > kMaxListedTids) out_ << " ...";
            out_ << '\n';
        }
        out_ << '\n';
    }

    void write_stack(const Stack& stack) { write_text_stack(stack, out_); }

private:
    const Report& r_;
    std::ostream& out_;
};

class TextFormat final : public ReportFormat {
public:
    void write(const Report& report, std::ostream& out) const override {
        TextWriter(report, out).write();
    }
};

}  // namespace

/// Declared in report_format.cpp, the one place that lists the formats.
std::unique_ptr<ReportFormat> make_text_format(const FormatOptions&) { return std::make_unique<TextFormat>(); }

void write_text_leak_group(const Report& report, const LeakGroup& group, std::ostream& out) {
    TextWriter(report, out).write_group(group);
}

void write_text_leaked_process(const Report& report, const LeakedProcess& process, std::ostream& out) {
    TextWriter(report, out).write_process(process);
}

void write_text_suppressed(const Report& report, std::ostream& out) { TextWriter(report, out).write_suppressed(); }

void write_text_stack(const Stack& stack, std::ostream& out) {
    if (stack.empty()) {
        out << "    (no stack)\n";
        return;
    }
    for (size_t i = 0; i < stack.size(); ++i) {
        const Frame& f = stack[i];
        char addr[32];
        std::snprintf(addr, sizeof addr, "0x%016" PRIx64, f.address);
        char off[24];
        std::snprintf(off, sizeof off, "+0x%" PRIx64, f.offset);
        out << "    #" << i << ' ' << addr << " in " << (f.function ? escape_text(*f.function) : std::string("??"));
        if (f.file) {
            out << ' ' << escape_text(*f.file);
            if (f.line) out << ':' << *f.line;
        }
        out << " (" << escape_text(f.module) << off << ")\n";
    }
}

std::vector<std::string> text_health_problems(const Health& h) {
    std::vector<std::string> s;
    if (h.ringbuf_drops)
        s.push_back(plural(h.ringbuf_drops, "record", "records") +
                    " dropped (ring buffer full): the report may be incomplete; raise --ringbuf-size");
    if (h.traced_map_full)
        s.push_back(plural(h.traced_map_full, "process was", "processes were") +
                    " not followed (traced-process map full): raise --max-processes");
    if (h.malformed_records)
        s.push_back(plural(h.malformed_records, "malformed record", "malformed records") +
                    " dropped (a threadleak bug: please report it)");
    if (h.stack_copy_failures)
        s.push_back(plural(h.stack_copy_failures, "stack", "stacks") + " could not be copied");
    if (h.unreadable_memory)
        s.push_back(plural(h.unreadable_memory, "live thread", "live threads") + " could not be read from /proc");
    if (h.stacks_not_symbolized)
        s.push_back(plural(h.stacks_not_symbolized, "stack", "stacks") +
                    " left out (symbolization stopped by a signal)");
    if (h.unreadable_maps)
        s.push_back(plural(h.unreadable_maps, "process's", "processes'") +
                    " mappings could not be read from /proc in time: their frames may lack symbols "
                    "(a kernel with the BPF VMA iterator, Linux >= 6.7, lists them in BPF)");
    if (h.futex_waits_not_kept)
        s.push_back(plural(h.futex_waits_not_kept, "futex wait", "futex waits") +
                    " not tracked (--track-wakes map full): their wake counts are unknown");
    if (h.goroutines_unread)
        s.push_back(plural(h.goroutines_unread, "Go process", "Go processes") +
                    " whose goroutines could not all be read (-v says why): leaked goroutines may be missing");
    return s;
}

std::string text_command_status(const SessionInfo& session) { return command_status(session); }

std::string text_before_attach(const LeakGroup& g) {
    const ThreadIdentity& first = g.first();
    std::string s = "created before attach";
    if (first.tid == first.pid) s += " (the process's main thread)";
    std::optional<int64_t> earliest, latest;
    for (const ThreadIdentity& t : g.threads) {
        if (!t.start_unix_ns) continue;
        if (!earliest || *t.start_unix_ns < *earliest) earliest = t.start_unix_ns;
        if (!latest || *t.start_unix_ns > *latest) latest = t.start_unix_ns;
    }
    if (!earliest) return s + ", start time unknown";
    const std::string from = local_time(*earliest), to = local_time(*latest);
    return s + (from == to ? ", started " + from : ", started between " + from + " and " + to);
}

}  // namespace threadleak
