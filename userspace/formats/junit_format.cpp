// The "junit" report format: JUnit XML for the test-report views of CI
// systems (GitLab's `artifacts:reports:junit`, Jenkins' `junit` step), valid
// against docs/junit.xsd; docs/junit.md says what becomes which testcase.
// One <testsuite name="threadleak">; each leak site, each leaked process,
// each leaking creation site (attach) and lost data is a testcase of its
// own, so a CI page lists what leaked where.
// Failure texts are the text format's entries (text_format.h), word for word.
#include <cinttypes>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "analyze/suppressions.h"
#include "formats/goroutine_text.h"
#include "formats/report_format.h"
#include "formats/text_escape.h"
#include "formats/text_format.h"
#include "formats/text_sites.h"
#include "formats/xml_escape.h"
#include "formats/timer_text.h"
#include "formats/wait_text.h"
#include "formats/wording.h"

namespace threadleak {
namespace {

constexpr const char* kSuiteName = "threadleak";
constexpr size_t kMaxNamesInLabel = 3;

/// One <testcase>. Its strings are for people: every part that comes from the
/// target has been through escape_text already; escape_xml is applied when written.
struct TestCase {
    enum class Outcome { Pass, Failure, Error };
    std::string classname;
    std::string name;
    Outcome outcome = Outcome::Pass;
    std::string message;  ///< the one-line summary CI shows first ("Error Message" in Jenkins)
    std::string type;
    std::string text;     ///< the details under it: text-format entries
};

std::string base_name(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// The executable's base name, the testcase's class; the suite's name when unknown.
std::string class_of(const std::string& exe) {
    const std::string name = base_name(exe);
    return name.empty() ? kSuiteName : escape_text(name);
}

/// Where a thread or process was created, as a person names it: the first
/// frame of the creation stack outside libc and libpthread (pthread_create
/// and clone are in every one), by function, else by module and offset.
std::optional<std::string> creation_site(const Stack& created_by) {
    for (const Frame& f : created_by) {
        if (is_libc(f)) continue;
        if (f.function) return escape_text(*f.function);
        char offset[24];
        std::snprintf(offset, sizeof offset, "+0x%" PRIx64, f.offset);
        return escape_text(base_name(f.module)) + offset;
    }
    return std::nullopt;
}

/// The group's creation site, or what stands for it where there is none.
std::string group_site(const LeakGroup& g) {
    if (auto site = creation_site(g.created_by)) return *site;
    if (g.created_before_attach) return "created before attach";
    if (g.first().tid == g.first().pid) return "main thread";
    return g.first().creator_tid ? "unknown creation site" : "created before tracing";
}

/// "created in Pool::Pool(int)", "the process's main thread", ...
std::string created_text(const LeakGroup& g) {
    if (auto site = creation_site(g.created_by)) return "created in " + *site;
    if (g.created_before_attach) return "created before attach";
    if (g.first().tid == g.first().pid) return "the process's main thread";
    return g.first().creator_tid ? "created at an unknown site" : "created before tracing began";
}

/// `"pool-1", "pool-2", "pool-3", ...`: the group's distinct names, the first few.
std::string names_text(const LeakGroup& g) {
    std::vector<std::string> names;
    std::set<std::string> seen;
    bool more = false;
    for (const ThreadIdentity& t : g.threads) {
        if (!seen.insert(t.name).second) continue;
        if (names.size() == kMaxNamesInLabel) {
            more = true;
            break;
        }
        names.push_back("\"" + escape_quoted(t.name) + "\"");
    }
    std::string s;
    for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
    return more ? s + ", ..." : s;
}

/// "blocked in futex", "running in user code", ...
std::string state_text(const LeakGroup& g) {
    switch (g.state) {
    case ThreadState::Blocked:
        return g.blocked_in ? "blocked in " + escape_text(g.blocked_in->syscall) : "blocked";
    case ThreadState::Running: return "running in user code";
    case ThreadState::Starting: return "never ran";
    case ThreadState::Execing: return "in execve";
    case ThreadState::Ia32: return "in 32-bit code";
    case ThreadState::Goroutine:
        return g.goroutine ? "goroutine " + escape_text(goroutine_state_text(*g.goroutine)) : "goroutine";
    }
    return to_string(g.state);
}

/// `Pool::Pool(int): 3 threads "pool-1", "pool-2", "pool-3" (unjoined)`: the
/// testcase name of a group, readable in a list of failed tests.
std::string group_label(const LeakGroup& g) {
    if (g.goroutine)
        return group_site(g) + ": " + plural(g.goroutine->goids.size(), "goroutine", "goroutines") + " " +
               escape_text(goroutine_state_text(*g.goroutine)) + " (goroutine)";
    return group_site(g) + ": " + plural(g.threads.size(), "thread", "threads") + " " + names_text(g) +
           " (" + to_string(g.kind) + ")";
}

/// "3 leaked threads (unjoined), created in Pool::Pool(int), blocked in futex"
std::string group_message(const LeakGroup& g) {
    if (g.goroutine)
        return plural(g.goroutine->goids.size(), "leaked goroutine", "leaked goroutines") + " " +
               escape_text(goroutine_state_text(*g.goroutine)) + ", " + created_text(g) + ", started as " +
               escape_text(g.goroutine->start_function.function.value_or("?"));
    const std::string wait = wait_phrase(g);
    return plural(g.threads.size(), "leaked thread", "leaked threads") + " (" + to_string(g.kind) + "), " +
           created_text(g) + ", " + state_text(g) + (wait.empty() ? "" : ": " + escape_text(wait));
}

std::string group_text(const Report& r, const LeakGroup& g) {
    std::ostringstream out;
    write_text_leak_group(r, g, out);
    return out.str();
}

/// "Suite.Name" (GoogleTest) -> {"Suite", "Name"}; "suite/case" (Boost.Test)
/// -> {"suite", "case"}. The first '.' wins over a '/' so that GoogleTest's
/// parameterized "Prefix/Suite.Name/0" splits as its own XML output does
/// ("Prefix/Suite", "Name/0"). A name without either keeps its executable as class.
std::pair<std::string, std::string> split_test(const std::string& test, const std::string& exe_class) {
    size_t at = test.find('.');
    if (at == std::string::npos) at = test.find('/');
    if (at == std::string::npos || at == 0 || at + 1 == test.size()) return {exe_class, escape_text(test)};
    return {escape_text(test.substr(0, at)), escape_text(test.substr(at + 1))};
}

TestCase group_case(const Report& r, const LeakGroup& g) {
    return {class_of(g.first().exe), group_label(g), TestCase::Outcome::Failure, group_message(g),
            to_string(g.kind), group_text(r, g)};
}

/// The groups of one test, in one testcase with one <failure>: Jenkins reads
/// only a testcase's first <failure>, and GitLab's parser takes several as
/// one value (an array), not as one text to show. So the groups' messages
/// are joined in the message, and their entries follow one another in the text.
TestCase test_case(const Report& r, const std::string& test, const std::vector<const LeakGroup*>& groups) {
    TestCase c;
    std::tie(c.classname, c.name) = split_test(test, class_of(groups.front()->first().exe));
    c.outcome = TestCase::Outcome::Failure;
    std::set<std::string> kinds;
    for (const LeakGroup* g : groups) {
        c.message += (c.message.empty() ? "" : "; ") + group_message(*g);
        const std::string kind = to_string(g->kind);
        if (kinds.insert(kind).second) c.type += (c.type.empty() ? "" : ",") + kind;
        c.text += group_text(r, *g);
    }
    return c;
}

TestCase process_case(const Report& r, const LeakedProcess& p) {
    std::ostringstream text;
    write_text_leaked_process(r, p, text);
    const std::string site = creation_site(p.created_by).value_or("unknown creation site");
    return {class_of(p.parent_exe),
            site + ": process " + escape_text(base_name(p.exe)) + " (left running)",
            TestCase::Outcome::Failure,
            "leaked process " + std::to_string(p.pid) + " (" + escape_text(p.exe) + "), started in " + site +
                ", was still running when the command exited (killed by threadleak)",
            "leaked_process",
            text.str()};
}

TestCase timer_case(const LeakedTimers& t) {
    std::ostringstream text;
    text << "threadleak: " << escape_text(timer_phrase(t)) << "\n  created by thread T" << t.creator_tid << " at:\n";
    write_text_stack(t.created_by, text);
    const std::string site = creation_site(t.created_by).value_or("unknown creation site");
    return {class_of(t.exe), site + ": " + plural(t.fds.size(), "timer", "timers") + " (left open)",
            TestCase::Outcome::Failure, escape_text(timer_phrase(t)), "leaked_timer", text.str()};
}

/// attach: a leaking creation site. Its name leaves the pid out: CI keys a
/// testcase's history on its name, and the pid changes from run to run.
TestCase site_case(const CreationSite& s) {
    std::ostringstream text;
    write_text_leaking_site(s, text);
    return {class_of(s.exe), text_site_label(s) + " (leaking site)", TestCase::Outcome::Failure,
            text_site_name(s) + " is leaking: " + text_site_growth(s), "leaking_site", text.str()};
}

/// Lost data: an error, not a failure, as a test that could not run to the
/// end is; each loss says what prevents it.
TestCase health_case(const std::vector<std::string>& problems) {
    TestCase c{kSuiteName, "no data lost", TestCase::Outcome::Error, "the report may be incomplete: ",
               "incomplete", ""};
    for (size_t i = 0; i < problems.size(); ++i) {
        c.message += (i ? "; " : "") + problems[i];
        c.text += "threadleak: " + problems[i] + "\n";
    }
    return c;
}

/// Every testcase, in the report's order: leaking sites (attach), leaks (a
/// test's groups where the first of them is), leaked processes, lost data;
/// or the one passing case.
std::vector<TestCase> test_cases(const Report& r) {
    std::vector<TestCase> cases;
    for (const CreationSite& s : r.sites)
        if (s.verdict == SiteVerdict::Leaking) cases.push_back(site_case(s));
    std::map<std::string, std::vector<const LeakGroup*>> by_test;
    for (const LeakGroup& g : r.leaks)
        if (g.test) by_test[*g.test].push_back(&g);
    for (const LeakGroup& g : r.leaks) {
        if (!g.test) {
            cases.push_back(group_case(r, g));
        } else if (auto it = by_test.find(*g.test); it != by_test.end()) {
            cases.push_back(test_case(r, it->first, it->second));
            by_test.erase(it);
        }
    }
    for (const LeakedProcess& p : r.leaked_processes) cases.push_back(process_case(r, p));
    for (const LeakedTimers& t : r.timers) cases.push_back(timer_case(t));
    const std::vector<std::string> problems = text_health_problems(r.health);
    if (!problems.empty()) cases.push_back(health_case(problems));
    if (cases.empty())
        cases.push_back({r.session.command.empty() ? kSuiteName : class_of(r.session.command.front()),
                         "no leaked threads", TestCase::Outcome::Pass, "", "", ""});
    // CI systems key a testcase's history on (classname, name): keep them unique.
    std::map<std::pair<std::string, std::string>, int> seen;
    for (TestCase& c : cases)
        if (int n = ++seen[{c.classname, c.name}]; n > 1) c.name += " #" + std::to_string(n);
    return cases;
}

/// Text content of several lines: escape_xml writes newlines as `&#10;`,
/// which parsers read back alike; literal newlines keep the file readable.
std::string multiline(const std::string& text) {
    std::string out;
    size_t start = 0;
    for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
        out += escape_xml(std::string_view(text).substr(start, nl - start)) + '\n';
    return out + escape_xml(std::string_view(text).substr(start));
}

std::string attr(const char* name, const std::string& value) {
    return std::string(" ") + name + "=\"" + escape_xml(value) + "\"";
}

class JunitFormat final : public ReportFormat {
public:
    void write(const Report& r, std::ostream& out) const override {
        const std::vector<TestCase> cases = test_cases(r);
        size_t failures = 0, errors = 0;
        for (const TestCase& c : cases) {
            failures += c.outcome == TestCase::Outcome::Failure;
            errors += c.outcome == TestCase::Outcome::Error;
        }
        std::string counts = attr("tests", std::to_string(cases.size())) +
                             attr("failures", std::to_string(failures)) + attr("errors", std::to_string(errors)) +
                             attr("skipped", "0");
        if (r.session.duration_ns) {
            char seconds[32];
            std::snprintf(seconds, sizeof seconds, "%.3f", static_cast<double>(*r.session.duration_ns) / 1e9);
            counts += attr("time", seconds);
        }
        out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            << "<testsuites" << attr("name", kSuiteName) << counts << ">\n"
            << "  <testsuite" << attr("name", kSuiteName) << counts << ">\n";
        write_properties(r, out);
        for (const TestCase& c : cases) write_case(c, out);
        write_system_out(r, out);
        out << "  </testsuite>\n</testsuites>\n";
    }

private:
    static void write_properties(const Report& r, std::ostream& out) {
        if (r.session.mode == Mode::Attach) {
            std::string pids;
            for (int pid : r.session.pids) pids += (pids.empty() ? "" : " ") + std::to_string(pid);
            out << "    <properties>\n"
                << "      <property" << attr("name", "pids") << attr("value", pids) << "/>\n"
                << "      <property" << attr("name", "status") << attr("value", text_attach_status(r.session))
                << "/>\n"
                << "    </properties>\n";
            return;
        }
        std::string command;
        for (const std::string& arg : r.session.command)
            command += (command.empty() ? "" : " ") + escape_text(arg);
        out << "    <properties>\n"
            << "      <property" << attr("name", "command") << attr("value", command) << "/>\n"
            << "      <property" << attr("name", "status") << attr("value", text_command_status(r.session))
            << "/>\n"
            << "    </properties>\n";
    }

    static void write_case(const TestCase& c, std::ostream& out) {
        out << "    <testcase" << attr("classname", c.classname) << attr("name", c.name);
        if (c.outcome == TestCase::Outcome::Pass) {
            out << "/>\n";
            return;
        }
        const char* element = c.outcome == TestCase::Outcome::Failure ? "failure" : "error";
        out << ">\n      <" << element << attr("message", c.message) << attr("type", c.type) << ">"
            << multiline(c.text) << "</" << element << ">\n    </testcase>\n";
    }

    /// Context that is no testcase: what the suppressions silenced, and the
    /// threads that died with a crashed process (not leaks).
    static void write_system_out(const Report& r, std::ostream& out) {
        std::ostringstream text;
        write_text_suppressed(r, text);
        for (const LeakGroup& g : r.alive_at_crash) write_text_leak_group(r, g, text);
        if (text.str().empty()) return;
        out << "    <system-out>" << multiline(text.str()) << "</system-out>\n";
    }
};

}  // namespace

/// Declared in report_format.cpp, the one place that lists the formats.
std::unique_ptr<ReportFormat> make_junit_format(const FormatOptions&) { return std::make_unique<JunitFormat>(); }

}  // namespace threadleak
