// The "html" format: one self-contained page that works opened from disk:
// the summary, the leak groups most likely leak first (both stacks, file:line,
// the decoded call), the table of creation sites, leaked processes, and the
// flame graph (formats/flame_svg.h) inline. Headings, a table with <th>,
// <details> stacks: keyboard and screen-reader friendly.
//
// Its Content-Security-Policy loads nothing from anywhere (default-src
// 'none') and runs only the page's own script and style sheet, allowed by
// their SHA-256: no inline event handler, no injected element could run.
// Target strings are escaped with escape_markup, and none reaches the script.
// The page is polyglot markup: well-formed XML too (void elements closed,
// the script in CDATA), so an XML parser checks it as strictly as the SVG.
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "formats/csp_hash.h"
#include "formats/flame_script.h"
#include "formats/flame_stacks.h"
#include "formats/flame_svg.h"
#include "formats/html_leaks.h"
#include "formats/timer_text.h"
#include "formats/markup_escape.h"
#include "formats/text_format.h"
#include "formats/text_sites.h"
#include "formats/report_format.h"
#include "formats/wording.h"

namespace threadleak {
namespace {

constexpr const char* kPageStyle = R"CSS(body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1240px; padding: 0 1rem 2rem; color: #1a1a1a; background: #ffffff; line-height: 1.45; }
h1 { font-size: 1.6rem; }
h2 { font-size: 1.3rem; border-bottom: 1px solid #dddddd; padding-bottom: 0.2rem; margin-top: 2rem; }
h3, h4 { font-size: 1.05rem; margin: 0.2rem 0; }
code, .stack { font-family: ui-monospace, monospace; font-size: 0.9rem; overflow-wrap: anywhere; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 1rem; }
a:focus-visible, summary:focus-visible { outline: 2px solid #0645ad; outline-offset: 2px; }
.leak { border-left: 4px solid #e8772e; padding: 0.2rem 0 0.4rem 0.8rem; margin: 1rem 0; }
.leak.context { border-left-color: #9a9a9a; }
.process { border-left: 4px solid #7a4fc0; padding: 0.2rem 0 0.4rem 0.8rem; margin: 1rem 0; }
.leak p, .process p { margin: 0.25rem 0; }
details { margin: 0.3rem 0; }
summary { cursor: pointer; }
ol.stack { margin: 0.2rem 0; padding-left: 2.5rem; }
.loc { color: #4a4a4a; }
.mod { color: #6a6a6a; }
table { border-collapse: collapse; margin: 0.5rem 0; }
caption { text-align: left; font-style: italic; padding-bottom: 0.3rem; }
th, td { border: 1px solid #cccccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
thead th { background: #f2f2f2; }
td.n { text-align: right; }
dl.summary { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
dl.summary dt { font-weight: 600; }
dl.summary dd { margin: 0; }
.warn { color: #8a4b00; }
.flame { overflow-x: auto; }
.flame svg { width: 100%; height: auto; max-width: 1200px; }
)CSS";

std::string command_status(const SessionInfo& s) {
    std::string text;
    if (s.signal) text = "was killed by " + escape_markup(*s.signal);
    else if (s.exit_code) text = "exited with code " + std::to_string(*s.exit_code);
    else text = s.timed_out ? "timed out" : "exit status unknown";
    if (s.timed_out && (s.signal || s.exit_code)) text += " after the --timeout";
    return text;
}

/// Each kind of loss with the knob that prevents it, in the text report's
/// words; empty when nothing was lost.
std::vector<std::string> health_items(const Health& h) {
    std::vector<std::string> items;
    for (const std::string& problem : text_health_problems(h)) items.push_back(escape_markup(problem));
    return items;
}

class HtmlWriter {
public:
    HtmlWriter(const Report& r, const FormatOptions& options, std::ostream& out)
        : r_(r), options_(options), out_(out) {
        for (const LeakGroup& g : r.leaks) leaks_.push_back(&g);
        for (const LeakedProcess& p : r.leaked_processes)
            for (const LeakGroup& g : p.threads) all_threads_.push_back(&g);
        all_threads_.insert(all_threads_.begin(), leaks_.begin(), leaks_.end());
    }

    void write() {
        const std::string style = std::string(kPageStyle) + flame_style();
        // In CDATA behind JavaScript comments: the page is also well-formed
        // XML (polyglot), so XML tools read it as browsers do.
        const std::string script = "//<![CDATA[\n" + flame_script() + "//]]>";
        out_ << "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
             << "<meta charset=\"utf-8\"/>\n"
             << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src "
             << csp_sha256(script) << "; style-src " << csp_sha256(style)
             << "; img-src 'none'; base-uri 'none'; form-action 'none'\"/>\n"
             << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
             << "<meta name=\"referrer\" content=\"no-referrer\"/>\n"
             << "<title>threadleak: " << verdict_short() << "</title>\n"
             << "<style>" << style << "</style>\n</head>\n<body>\n"
             << "<header>\n<h1>threadleak report</h1>\n<nav aria-label=\"Sections\"><ul>"
             << "<li><a href=\"#summary\">Summary</a></li><li><a href=\"#flame-graph\">Flame graph</a></li>"
             << "<li><a href=\"#leaks\">Leaked threads</a></li><li><a href=\"#sites\">Creation sites</a></li>"
             << "<li><a href=\"#processes\">Leaked processes</a></li></ul></nav>\n</header>\n<main>\n";
        write_summary();
        write_flame_graph();
        write_leaks();
        write_sites();
        write_processes();
        write_timers();
        write_crash_context();
        out_ << "</main>\n<script>" << script << "</script>\n</body>\n</html>\n";
    }

private:
    std::string verdict_short() const {
        if (r_.session.mode == Mode::Attach) return escape_markup(text_attach_verdict(r_));
        if (!r_.has_leaks()) return "no leaked threads";
        std::string s;
        if (!r_.leaks.empty()) s = plural(r_.leaked_thread_count(), "leaked thread", "leaked threads");
        if (!r_.leaked_processes.empty())
            s += (s.empty() ? "" : ", ") + plural(r_.leaked_processes.size(), "leaked process", "leaked processes");
        if (!r_.timers.empty()) s += (s.empty() ? "" : ", ") + timer_count_text(r_.timers);
        return s;
    }

    void write_summary() {
        std::set<int> pids;
        for (const LeakGroup& g : r_.leaks) pids.insert(g.first().pid);
        out_ << "<section aria-labelledby=\"summary\">\n<h2 id=\"summary\">Summary</h2>\n<p class=\"verdict\">";
        const bool attach = r_.session.mode == Mode::Attach;
        if (attach)
            out_ << "Observed " << plural(r_.session.pids.size(), "process", "processes")
                 << (r_.session.duration_ns ? " for " + whole_duration(*r_.session.duration_ns) : "") << ": "
                 << verdict_short() << ".</p>\n<dl class=\"summary\">\n";
        else if (!r_.has_leaks())
            out_ << (r_.health.lost_events() ? "Report incomplete: no leaked threads found" : "No leaked threads");
        if (!attach && !r_.leaks.empty())
            out_ << plural(r_.leaked_thread_count(), "leaked thread", "leaked threads") << " ("
                 << plural(r_.leaks.size(), "site", "sites") << ") in " << plural(pids.size(), "process", "processes");
        if (!attach && !r_.leaked_processes.empty())
            out_ << (r_.leaks.empty() ? "" : "; ")
                 << plural(r_.leaked_processes.size(), "leaked process", "leaked processes")
                 << " (still running when the command exited)";
        if (!attach && !r_.timers.empty())
            out_ << (r_.leaks.empty() && r_.leaked_processes.empty() ? "" : "; ") << timer_count_text(r_.timers)
                 << " (timerfds open at exit)";
        if (!attach) out_ << "; the command " << command_status(r_.session) << ".</p>\n<dl class=\"summary\">\n";
        out_ << (attach ? "<dt>Attached to</dt>" : "<dt>Command</dt>") << "<dd><code>"
             << escape_markup(flame_subject(r_.session)) << "</code></dd>\n";
        out_ << "<dt>Processes seen</dt><dd>" << r_.processes.size() << "</dd>\n";
        size_t crashed = 0;
        for (const LeakGroup& g : r_.alive_at_crash) crashed += g.threads.size();
        if (crashed)
            out_ << "<dt>Alive at a crash</dt><dd>" << plural(crashed, "thread", "threads")
                 << " (context, not counted as leaks)</dd>\n";
        const std::vector<std::string> health = health_items(r_.health);
        out_ << "<dt>Health</dt><dd>";
        if (health.empty()) out_ << "nothing was lost";
        for (const std::string& item : health) out_ << "<span class=\"warn\">" << item << "</span><br/>";
        out_ << "</dd>\n";
        for (const SuppressedCount& s : r_.suppressed)
            out_ << "<dt>Suppressed</dt><dd>" << suppressed_what(s) << " by <code>"
                 << escape_markup(s.rule) << "</code> (" << escape_markup(s.source) << ")</dd>\n";
        out_ << "</dl>\n</section>\n";
    }

    void write_flame_graph() {
        out_ << "<section aria-labelledby=\"flame-graph\">\n<h2 id=\"flame-graph\">Flame graph</h2>\n"
             << "<p>Each leaked thread is a path from the root at the bottom: where it was created (blue), "
                "its start (grey), what it is blocked in (orange), and the syscall or state (purple). Width: "
             << (options_.weight == FlameWeight::Time ? "time blocked" : "thread count")
             << ". Click a frame to zoom, Esc to zoom out; search marks frames by name.</p>\n<div class=\"flame\">\n";
        write_flame_svg(flame_stacks(r_, options_), flame_subject(r_.session), SvgEmbedding::InHtml, out_);
        out_ << "</div>\n</section>\n";
    }

    void write_leaks() {
        out_ << "<section aria-labelledby=\"leaks\">\n<h2 id=\"leaks\">Leaked threads, most likely leak first</h2>\n";
        if (leaks_.empty()) {
            out_ << (all_threads_.empty() ? "<p>None.</p>\n" : "<p>None but those of the leaked processes.</p>\n")
                 << "</section>\n";
            return;
        }
        if (r_.session.mode == Mode::Attach)
            out_ << "<p>Never joined when their process exited before parked; then more threads, then blocked "
                    "longer.</p>\n";
        else
            out_ << "<p>Never joined (or killed by exec, or left running) before outlived a test before hung at "
                    "the --timeout; then waits without a timeout first; then more threads, then blocked longer.</p>\n";
        size_t n = 0;
        for (const LeakGroup* g : most_likely_first(leaks_))
            write_leak_article(*g, r_.session.mode, "leak-" + std::to_string(++n), 3, out_);
        out_ << "</section>\n";
    }

    void write_sites() {
        out_ << "<section aria-labelledby=\"sites\">\n<h2 id=\"sites\">Creation sites</h2>\n";
        if (r_.session.mode == Mode::Attach && !r_.sites.empty()) write_attach_site_table(r_.sites, out_);
        else if (all_threads_.empty()) out_ << "<p>None.</p>\n";
        else write_site_table(all_threads_, out_);
        out_ << "</section>\n";
    }

    void write_processes() {
        out_ << "<section aria-labelledby=\"processes\">\n<h2 id=\"processes\">Leaked processes</h2>\n";
        if (r_.leaked_processes.empty()) out_ << "<p>None.</p>\n";
        size_t n = 0;
        for (const LeakedProcess& p : r_.leaked_processes) {
            const std::string id = "process-" + std::to_string(++n);
            out_ << "<article class=\"process\" aria-labelledby=\"" << id << "\">\n<h3 id=\"" << id
                 << "\">Process " << p.pid << " (<code>" << escape_markup(p.exe)
                 << "</code>): never waited for, still running when the command exited (killed by threadleak)</h3>\n"
                 << "<p>Command line: <code>";
            if (p.cmdline.empty()) out_ << "unreadable";
            for (size_t i = 0; i < p.cmdline.size(); ++i)
                out_ << (i ? " " : "") << "&quot;" << escape_markup(p.cmdline[i]) << "&quot;";
            if (p.cmdline_truncated) out_ << " ...";
            out_ << "</code></p>\n<p>Started by pid " << p.ppid << " (<code>" << escape_markup(p.parent_exe)
                 << "</code>)";
            if (p.creator_tid) out_ << ", thread T" << *p.creator_tid;
            else out_ << ", before tracing began";
            out_ << "</p>\n";
            if (p.creator_tid) write_stack_details("Started at", p.created_by, false, out_);
            size_t t = 0;
            for (const LeakGroup* g : most_likely_first(pointers(p.threads)))
                write_leak_article(*g, r_.session.mode, id + "-thread-" + std::to_string(++t), 4, out_);
            out_ << "</article>\n";
        }
        out_ << "</section>\n";
    }

    /// Timerfds left open at exit, per creation site.
    void write_timers() {
        if (r_.timers.empty()) return;
        out_ << "<section aria-labelledby=\"timers\">\n<h2 id=\"timers\">Leaked timers</h2>\n";
        size_t n = 0;
        for (const LeakedTimers& t : r_.timers) {
            const std::string id = "timer-" + std::to_string(++n);
            out_ << "<article class=\"timer\" aria-labelledby=\"" << id << "\">\n<h3 id=\"" << id << "\">"
                 << escape_markup(timer_phrase(t)) << "</h3>\n";
            write_stack_details("Created by thread T" + std::to_string(t.creator_tid) + " at", t.created_by, false,
                                out_);
            out_ << "</article>\n";
        }
        out_ << "</section>\n";
    }

    /// Threads a signal killed with their process: listed apart, never as leaks.
    void write_crash_context() {
        if (r_.alive_at_crash.empty()) return;
        out_ << "<section aria-labelledby=\"crash\">\n<h2 id=\"crash\">Alive when a signal killed their process "
                "(not leaks)</h2>\n";
        size_t n = 0;
        for (const LeakGroup& g : r_.alive_at_crash) write_leak_article(g, r_.session.mode, "crash-" + std::to_string(++n), 3, out_);
        out_ << "</section>\n";
    }

    static std::vector<const LeakGroup*> pointers(const std::vector<LeakGroup>& groups) {
        std::vector<const LeakGroup*> out;
        for (const LeakGroup& g : groups) out.push_back(&g);
        return out;
    }

    const Report& r_;
    FormatOptions options_;
    std::ostream& out_;
    std::vector<const LeakGroup*> leaks_;        ///< Report::leaks
    std::vector<const LeakGroup*> all_threads_;  ///< and the threads of leaked processes
};

class HtmlFormat final : public ReportFormat {
public:
    explicit HtmlFormat(const FormatOptions& options) : options_(options) {}

    void write(const Report& report, std::ostream& out) const override {
        HtmlWriter(report, options_, out).write();
    }

private:
    FormatOptions options_;
};

}  // namespace

/// Declared in report_format.cpp, the one place that lists the formats.
std::unique_ptr<ReportFormat> make_html_format(const FormatOptions& options) {
    return std::make_unique<HtmlFormat>(options);
}

}  // namespace threadleak
