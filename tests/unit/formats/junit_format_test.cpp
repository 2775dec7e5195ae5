// The junit format (formats/junit_format.cpp) read back by a real XML parser:
// every report, hostile names included, validates against docs/junit.xsd with
// xmllint (libxml2-utils), and the testcases say what leaked where.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "formats/report_format.h"
#include "formats/text_escape.h"
#include "formats/text_format.h"
#include "formats/text_sites.h"

namespace threadleak {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLibc = "/usr/lib/x86_64-linux-gnu/libc.so.6";

fs::path repo_root() {
    if (const char* root = std::getenv("THREADLEAK_ROOT"); root && *root) return root;
    return fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
}

struct Run {
    int status = -1;   ///< exit status; 127 if xmllint could not be started
    std::string out;   ///< stdout and stderr
};

/// xmllint ARGS..., without a shell (XPath expressions hold quotes and brackets).
Run xmllint(std::vector<std::string> args) {
    args.insert(args.begin(), "xmllint");
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return {};
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        execvp(argv[0], argv.data());
        _exit(127);
    }
    close(fds[1]);
    Run run;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) run.out.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    run.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    return run;
}

/// A report written to a temporary file, for xmllint to read.
class XmlFile {
public:
    explicit XmlFile(const std::string& xml) {
        char name[] = "/tmp/threadleak-junit-XXXXXX.xml";
        const int fd = mkstemps(name, 4);
        if (fd < 0) std::abort();
        close(fd);
        path_ = name;
        std::ofstream(path_, std::ios::binary) << xml;
    }
    ~XmlFile() { fs::remove(path_); }
    const std::string& path() const { return path_; }

    /// Empty when the file is valid per docs/junit.xsd; else what xmllint said.
    std::string schema_errors() const {
        const Run run = xmllint({"--noout", "--schema", (repo_root() / "docs/junit.xsd").string(), path_});
        if (run.status == 127) return "xmllint is missing: install libxml2-utils (scripts/install-deps.sh)";
        return run.status == 0 ? "" : "xmllint exit " + std::to_string(run.status) + ":\n" + run.out;
    }

    /// The string values of XPath expressions, from one xmllint run (each
    /// run costs tens of ms): concat() joins them with U+2063, which
    /// escape_text always escapes, so no value from the report holds it.
    std::vector<std::string> xpaths(const std::vector<std::string>& expressions) const {
        const std::string separator = "\xe2\x81\xa3";
        std::string joined = "concat(''";
        for (const std::string& e : expressions) joined += ", '" + separator + "', string(" + e + ")";
        Run run = xmllint({"--xpath", joined + ")", path_});
        if (!run.out.empty() && run.out.back() == '\n') run.out.pop_back();  // xmllint ends it with one
        std::vector<std::string> values;
        for (size_t at = run.out.find(separator); at != std::string::npos;) {
            const size_t next = run.out.find(separator, at + separator.size());
            values.push_back(run.out.substr(at + separator.size(), next - at - separator.size()));
            at = next;
        }
        if (values.size() != expressions.size()) values.assign(expressions.size(), "(xmllint: " + run.out + ")");
        return values;
    }

    std::string xpath(const std::string& expression) const { return xpaths({expression}).front(); }

    /// Each XPath expression has the value paired with it.
    void expect(const std::vector<std::pair<std::string, std::string>>& expected) const {
        std::vector<std::string> expressions;
        for (const auto& [e, v] : expected) expressions.push_back(e);
        const std::vector<std::string> values = xpaths(expressions);
        for (size_t i = 0; i < expected.size(); ++i)
            EXPECT_EQ(values[i], expected[i].second) << expected[i].first;
    }

private:
    std::string path_;
};

std::string junit(const Report& r) {
    std::ostringstream out;
    make_report_format("junit")->write(r, out);
    return out.str();
}

Frame frame(std::optional<std::string> function, const std::string& module, uint64_t offset) {
    Frame f;
    f.function = std::move(function);
    f.module = module;
    f.offset = offset;
    f.address = 0x7f0000000000 + offset;
    return f;
}

LeakGroup group(const std::string& exe, const std::string& creator, const std::string& name, int tid,
                std::optional<std::string> test = std::nullopt) {
    LeakGroup g;
    g.threads = {{100, exe, tid, name, 100}};
    g.created_by = {frame("__clone3", kLibc, 0x11c3c0), frame("pthread_create", kLibc, 0x898ed),
                    frame(creator, exe, 0x1221), frame("main", exe, 0x125d)};
    g.state = ThreadState::Starting;
    g.test = std::move(test);
    return g;
}

Report report_with(std::vector<LeakGroup> leaks) {
    Report r;
    r.session.command = {"/opt/app/bin/tests"};
    r.session.exit_code = 0;
    r.leaks = std::move(leaks);
    return r;
}

/// The counts of the suite match its testcases, and the root's match the suite's.
void expect_counts_match(const XmlFile& f) {
    std::vector<std::string> expressions = {"/testsuites/testsuite/@tests", "count(//testcase)",
                                            "/testsuites/testsuite/@failures", "count(//testcase[failure])",
                                            "/testsuites/testsuite/@errors", "count(//testcase[error])"};
    for (const char* count : {"tests", "failures", "errors", "skipped", "time"}) {
        expressions.push_back(std::string("/testsuites/@") + count);
        expressions.push_back(std::string("/testsuites/testsuite/@") + count);
    }
    const std::vector<std::string> v = f.xpaths(expressions);
    for (size_t i = 0; i < v.size(); i += 2) EXPECT_EQ(v[i], v[i + 1]) << expressions[i] << " vs " << expressions[i + 1];
}

TEST(JunitFormat, GoldenReportValidatesAgainstTheSchema) {
    std::ifstream in(repo_root() / "tests/unit/formats/golden/junit.xml", std::ios::binary);
    ASSERT_TRUE(in) << "tests/unit/formats/golden/junit.xml is missing: run scripts/update-golden.sh";
    std::ostringstream text;
    text << in.rdbuf();
    const XmlFile f(text.str());
    EXPECT_EQ(f.schema_errors(), "");
    expect_counts_match(f);
    f.expect({{"//testsuite/@name", "threadleak"}, {"//testsuite/@time", "30.005"}, {"count(//testcase)", "11"}});
}

TEST(JunitFormat, AttachGoldenReportValidatesAgainstTheSchema) {
    std::ifstream in(repo_root() / "tests/unit/formats/golden/attach-junit.xml", std::ios::binary);
    ASSERT_TRUE(in) << "tests/unit/formats/golden/attach-junit.xml is missing: run scripts/update-golden.sh";
    std::ostringstream text;
    text << in.rdbuf();
    const XmlFile f(text.str());
    EXPECT_EQ(f.schema_errors(), "");
    expect_counts_match(f);
    f.expect({{"count(//testcase)", "6"},
              {"count(//failure[@type='leaking_site'])", "1"},
              {"count(//failure[@type='parked'])", "4"},
              {"//property[@name='pids']/@value", "4100 4123"}});
}

TEST(JunitFormat, EachLeakingSiteIsAFailingTestcaseBeforeTheParkedThreads) {
    Report r = report_with({group("/opt/app/bin/server", "Pool::Pool(int)", "pool", 101)});
    r.session = SessionInfo{};
    r.session.mode = Mode::Attach;
    r.session.pids = {100};
    r.session.duration_ns = 90'000'000'000;
    r.leaks[0].kind = LeakKind::Parked;
    CreationSite s;
    s.pid = 100;
    s.comm = "server";
    s.exe = "/opt/app/bin/server";
    s.label = "start_session_reader (server.c:42)";
    s.created_by = {frame("__clone3", kLibc, 0x11c3c0), frame("start_session_reader", s.exe, 0x4200)};
    s.verdict = SiteVerdict::Leaking;
    s.created = 57;
    s.alive = 57;
    s.slope_per_min = 34.2;
    s.projected_24h = 57 + 34.2 * 1440;
    CreationSite pool = s;
    pool.label = "Pool::Pool(int)";
    pool.verdict = SiteVerdict::Parked;
    r.sites = {s, pool};
    const XmlFile f(junit(r));
    ASSERT_EQ(f.schema_errors(), "");
    expect_counts_match(f);
    std::ostringstream entry;
    write_text_leaking_site(s, entry);
    f.expect({{"count(//testcase)", "2"},
              {"//testcase[1]/@classname", "server"},
              {"//testcase[1]/@name", "start_session_reader (server.c:42) (leaking site)"},
              {"//testcase[1]/failure/@type", "leaking_site"},
              {"//testcase[1]/failure/@message",
               "site start_session_reader (server.c:42) in pid 100 (server) is leaking: 57 alive "
               "(+34.2/min, 49,305 projected in 24 h), 0 of 57 created exited"},
              {"//testcase[1]/failure", entry.str()},
              {"//testcase[2]/@name", "Pool::Pool(int): 1 thread \"pool\" (parked)"},
              {"//testcase[2]/failure/@type", "parked"},
              {"//property[@name='status']/@value", "attach to 1 process for 1m30s"},
              {"//testsuite/@time", "90.000"}});
}

TEST(JunitFormat, EachLeakGroupIsAFailingTestcaseNamedByItsCreator) {
    const Report r = report_with({group("/opt/app/bin/tests", "start_worker", "worker-1", 101)});
    const XmlFile f(junit(r));
    ASSERT_EQ(f.schema_errors(), "");
    expect_counts_match(f);
    // The details are the text format's entry, word for word.
    std::ostringstream entry;
    write_text_leak_group(r, r.leaks[0], entry);
    f.expect({{"//testcase/@classname", "tests"},
              {"//testcase/@name", "start_worker: 1 thread \"worker-1\" (unjoined)"},
              {"//failure/@type", "unjoined"},
              {"//failure/@message", "1 leaked thread (unjoined), created in start_worker, never ran"},
              {"//failure", entry.str()}});
}

TEST(JunitFormat, LeaksOfOneTestShareOneTestcase) {
    const Report r = report_with({
        group("/opt/app/bin/tests", "Cache_EvictsOld_Test::TestBody()", "evictor", 101, "Cache.EvictsOld"),
        group("/opt/app/bin/tests", "start_worker", "worker", 102),
        group("/opt/app/bin/tests", "Pool::Pool(int)", "pool", 103, "Cache.EvictsOld"),
        group("/opt/app/bin/boost_tests", "spawn", "io", 104, "network/reconnects"),
        group("/opt/app/bin/tests", "spawn", "p", 105, "Sizes/Buffer.Grows/3"),
    });
    const XmlFile f(junit(r));
    ASSERT_EQ(f.schema_errors(), "");
    expect_counts_match(f);
    std::ostringstream entries;
    write_text_leak_group(r, r.leaks[0], entries);
    write_text_leak_group(r, r.leaks[2], entries);
    // In the order the report lists them: a test where its first leak is.
    f.expect({{"count(//testcase)", "4"},
              {"//testcase[1]/@classname", "Cache"},
              {"//testcase[1]/@name", "EvictsOld"},
              {"count(//testcase[1]/failure)", "1"},
              {"//testcase[1]/failure/@message",
               "1 leaked thread (unjoined), created in Cache_EvictsOld_Test::TestBody(), never ran; "
               "1 leaked thread (unjoined), created in Pool::Pool(int), never ran"},
              {"//testcase[1]/failure", entries.str()},
              {"//testcase[2]/@name", "start_worker: 1 thread \"worker\" (unjoined)"},
              {"//testcase[3]/@classname", "network"},  // Boost.Test suite/case
              {"//testcase[3]/@name", "reconnects"},
              {"//testcase[4]/@classname", "Sizes/Buffer"},  // as GoogleTest's own XML
              {"//testcase[4]/@name", "Grows/3"}});
}

TEST(JunitFormat, LeakedProcessIsAFailingTestcase) {
    Report r = report_with({});
    LeakedProcess p;
    p.pid = 300;
    p.exe = "/usr/sbin/helperd";
    p.cmdline = {"helperd", "--serve"};
    p.ppid = 100;
    p.parent_exe = "/opt/app/bin/tests";
    p.creator_tid = 100;
    p.created_by = {frame("_Fork", kLibc, 0xea6b0), frame("spawn_helper", p.parent_exe, 0x3600)};
    r.leaked_processes = {p};
    const XmlFile f(junit(r));
    ASSERT_EQ(f.schema_errors(), "");
    expect_counts_match(f);
    std::ostringstream entry;
    write_text_leaked_process(r, p, entry);
    f.expect({{"//testcase/@classname", "tests"},
              {"//testcase/@name", "spawn_helper: process helperd (left running)"},
              {"//failure/@type", "leaked_process"},
              {"//failure", entry.str()}});
}

TEST(JunitFormat, CleanRunIsOnePassingTestcase) {
    const XmlFile f(junit(report_with({})));
    ASSERT_EQ(f.schema_errors(), "");
    expect_counts_match(f);
    f.expect({{"count(//testcase)", "1"},
              {"//testcase/@classname", "tests"},
              {"//testcase/@name", "no leaked threads"},
              {"count(//testcase/*)", "0"},
              {"//testsuite/@failures", "0"}});
}

TEST(JunitFormat, LostDataIsAnErrorThatNamesTheFix) {
    Report r = report_with({});
    r.health.ringbuf_drops = 3;
    r.health.traced_map_full = 1;
    const XmlFile f(junit(r));
    ASSERT_EQ(f.schema_errors(), "");
    expect_counts_match(f);
    const auto v = f.xpaths({"count(//testcase)", "//testsuite/@errors", "//error/@type", "//error/@message"});
    EXPECT_EQ(v[0], "1") << "no passing testcase when data was lost";
    EXPECT_EQ(v[1], "1");
    EXPECT_EQ(v[2], "incomplete");
    EXPECT_TRUE(v[3].starts_with("the report may be incomplete: 3 records dropped")) << v[3];
    EXPECT_NE(v[3].find("raise --ringbuf-size"), std::string::npos) << v[3];
    EXPECT_NE(v[3].find("raise --max-processes"), std::string::npos) << v[3];
}

TEST(JunitFormat, SuppressedCountsAndCrashContextAreSuiteOutput) {
    Report r = report_with({});
    r.suppressed = {{"ignore-comm pool*", "flag", 4}};
    LeakGroup crashed = group("/opt/app/bin/tests", "start_helper", "helper", 106);
    crashed.kind = LeakKind::AliveAtCrash;
    r.alive_at_crash = {crashed};
    const XmlFile f(junit(r));
    ASSERT_EQ(f.schema_errors(), "");
    const auto v = f.xpaths({"count(//testcase)", "/testsuites/testsuite/system-out"});
    EXPECT_EQ(v[0], "1");  // context, not leaks: still a pass
    EXPECT_NE(v[1].find("threadleak: suppressed 4 threads by ignore-comm pool* (flag)\n"), std::string::npos) << v[1];
    EXPECT_NE(v[1].find("was alive when a signal killed the process"), std::string::npos) << v[1];
}

TEST(JunitFormat, SameLabelsAreMadeUnique) {
    const XmlFile f(junit(report_with({group("/opt/app/bin/tests", "start_worker", "w", 101),
                                       group("/opt/app/bin/tests", "start_worker", "w", 102)})));
    ASSERT_EQ(f.schema_errors(), "");
    f.expect({{"//testcase[1]/@name", "start_worker: 1 thread \"w\" (unjoined)"},
              {"//testcase[2]/@name", "start_worker: 1 thread \"w\" (unjoined) #2"}});
}

TEST(JunitFormat, HostileStringsStayWellFormedAndValid) {
    // Markup, quotes, a CDATA end, newlines, a bidi override, invalid UTF-8,
    // controls XML 1.0 forbids (NUL, ESC, U+FFFE) and a C1 control.
    const std::string hostile = std::string("<script>\"x\"&'y'</script>]]>\nline2\r\t\xe2\x80\xae" "dlrow\xff\xc3(") +
                                std::string("\0\x01\x1b[2J\xef\xbf\xbe\xc2\x85", 11);
    LeakGroup g = group("/opt/" + hostile + "/bin/" + hostile, hostile, hostile, 101, hostile + "." + hostile);
    g.threads.push_back({100, g.threads[0].exe, 102, "other" + hostile, 100});
    LeakGroup plain = group("/opt/app/" + hostile, hostile, hostile, 103);
    Report r = report_with({g, plain});
    r.session.command = {"/opt/" + hostile, hostile};
    r.suppressed = {{"ignore " + hostile, hostile, 1}};
    LeakedProcess p;
    p.pid = 300;
    p.exe = "/usr/bin/" + hostile;
    p.cmdline = {hostile, hostile};
    p.ppid = 100;
    p.parent_exe = hostile;
    p.created_by = {frame(hostile, hostile, 0x10)};
    r.leaked_processes = {p};
    r.alive_at_crash = {group(hostile, hostile, hostile, 104)};
    r.alive_at_crash[0].kind = LeakKind::AliveAtCrash;

    const std::string xml = junit(r);
    EXPECT_EQ(xml.find("]]>"), std::string::npos);
    for (unsigned char c : xml) EXPECT_TRUE(c >= 0x20 || c == '\n') << "raw control byte " << int(c);
    const XmlFile f(xml);
    ASSERT_EQ(f.schema_errors(), "") << xml;
    expect_counts_match(f);
    // What a CI page shows is the text format's escaping of each string: no
    // markup of the target's survives, and nothing reorders or hides text.
    // U+FFFE, which escape_text lets through, is no XML character: escape_xml spells it.
    const auto in_xml = [](std::string text) {
        for (size_t at; (at = text.find("\xef\xbf\xbe")) != std::string::npos;) text.replace(at, 3, "\\ufffe");
        return text;
    };
    const std::string shown = in_xml(escape_text(hostile));
    const std::string base = in_xml(escape_text(hostile.substr(hostile.rfind('/') + 1)));  // of a path ending in it
    std::ostringstream entry;
    write_text_leak_group(r, r.leaks[1], entry);
    f.expect({{"//testcase[1]/@classname", shown},  // its test, split at the '.'
              {"//testcase[1]/@name", shown},
              {"//testcase[2]/@classname", base},
              {"//testcase[2]/@name", shown + ": 1 thread \"" + in_xml(escape_quoted(hostile)) + "\" (unjoined)"},
              {"//testcase[2]/failure", in_xml(entry.str())},
              {"//testcase[3]/@classname", base},
              {"//testcase[3]/@name", shown + ": process " + base + " (left running)"},
              {"//property[@name='command']/@value", "/opt/" + shown + " " + shown}});
}

}  // namespace
}  // namespace threadleak
