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

    /// The value of an XPath expression (string(...), count(...)), as xmllint prints it.
    std::string xpath(const std::string& expression) const {
        Run run = xmllint({"--xpath", expression, path_});
        if (!run.out.empty() && run.out.back() == '\n') run.out.pop_back();  // xmllint ends it with one
        return run.out;
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
    EXPECT_EQ(f.xpath("string(/testsuites/testsuite/@tests)"), f.xpath("count(//testcase)"));
    EXPECT_EQ(f.xpath("string(/testsuites/testsuite/@failures)"), f.xpath("count(//testcase[failure])"));
    EXPECT_EQ(f.xpath("string(/testsuites/testsuite/@errors)"), f.xpath("count(//testcase[error])"));
    for (const char* count : {"tests", "failures", "errors", "skipped", "time"})
        EXPECT_EQ(f.xpath(std::string("string(/testsuites/@") + count + ")"),
                  f.xpath(std::string("string(/testsuites/testsuite/@") + count + ")"))
            << count;
}

TEST(JunitFormat, GoldenReportValidatesAgainstTheSchema) {
    std::ifstream in(repo_root() / "tests/unit/formats/golden/junit.xml", std::ios::binary);
    ASSERT_TRUE(in) << "tests/unit/formats/golden/junit.xml is missing: run scripts/update-golden.sh";
    std::ostringstream text;
    text << in.rdbuf();
    const XmlFile f(text.str());
    EXPECT_EQ(f.schema_errors(), "");
    expect_counts_match(f);
    EXPECT_EQ(f.xpath("string(//testsuite/@name)"), "threadleak");
    EXPECT_EQ(f.xpath("string(//testsuite/@time)"), "30.005");
}

TEST(JunitFormat, EachLeakGroupIsAFailingTestcaseNamedByItsCreator) {
    const Report r = report_with({group("/opt/app/bin/tests", "start_worker", "worker-1", 101)});
    const XmlFile f(junit(r));
    ASSERT_EQ(f.schema_errors(), "");
    expect_counts_match(f);
    EXPECT_EQ(f.xpath("string(//testcase/@classname)"), "tests");
    EXPECT_EQ(f.xpath("string(//testcase/@name)"), "start_worker: 1 thread \"worker-1\" (unjoined)");
    EXPECT_EQ(f.xpath("string(//failure/@type)"), "unjoined");
    EXPECT_EQ(f.xpath("string(//failure/@message)"), "1 leaked thread (unjoined), created in start_worker, never ran");
    // The details are the text format's entry, word for word.
    std::ostringstream entry;
    write_text_leak_group(r, r.leaks[0], entry);
    EXPECT_EQ(f.xpath("string(//failure)"), entry.str());
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
    EXPECT_EQ(f.xpath("count(//testcase)"), "4");
    // In the order the report lists them: a test where its first leak is.
    EXPECT_EQ(f.xpath("string(//testcase[1]/@classname)"), "Cache");
    EXPECT_EQ(f.xpath("string(//testcase[1]/@name)"), "EvictsOld");
    EXPECT_EQ(f.xpath("count(//testcase[1]/failure)"), "1");
    EXPECT_EQ(f.xpath("string(//testcase[1]/failure/@message)"),
              "1 leaked thread (unjoined), created in Cache_EvictsOld_Test::TestBody(), never ran; "
              "1 leaked thread (unjoined), created in Pool::Pool(int), never ran");
    std::ostringstream entries;
    write_text_leak_group(r, r.leaks[0], entries);
    write_text_leak_group(r, r.leaks[2], entries);
    EXPECT_EQ(f.xpath("string(//testcase[1]/failure)"), entries.str());
    EXPECT_EQ(f.xpath("string(//testcase[2]/@name)"), "start_worker: 1 thread \"worker\" (unjoined)");
    EXPECT_EQ(f.xpath("string(//testcase[3]/@classname)"), "network");  // Boost.Test suite/case
    EXPECT_EQ(f.xpath("string(//testcase[3]/@name)"), "reconnects");
    EXPECT_EQ(f.xpath("string(//testcase[4]/@classname)"), "Sizes/Buffer");  // as GoogleTest's XML
    EXPECT_EQ(f.xpath("string(//testcase[4]/@name)"), "Grows/3");
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
    EXPECT_EQ(f.xpath("string(//testcase/@classname)"), "tests");
    EXPECT_EQ(f.xpath("string(//testcase/@name)"), "spawn_helper: process helperd (left running)");
    EXPECT_EQ(f.xpath("string(//failure/@type)"), "leaked_process");
    std::ostringstream entry;
    write_text_leaked_process(r, p, entry);
    EXPECT_EQ(f.xpath("string(//failure)"), entry.str());
}

TEST(JunitFormat, CleanRunIsOnePassingTestcase) {
    const XmlFile f(junit(report_with({})));
    ASSERT_EQ(f.schema_errors(), "");
    expect_counts_match(f);
    EXPECT_EQ(f.xpath("count(//testcase)"), "1");
    EXPECT_EQ(f.xpath("string(//testcase/@classname)"), "tests");
    EXPECT_EQ(f.xpath("string(//testcase/@name)"), "no leaked threads");
    EXPECT_EQ(f.xpath("count(//testcase/*)"), "0");
    EXPECT_EQ(f.xpath("string(//testsuite/@failures)"), "0");
}

TEST(JunitFormat, LostDataIsAnErrorThatNamesTheFix) {
    Report r = report_with({});
    r.health.ringbuf_drops = 3;
    r.health.traced_map_full = 1;
    const XmlFile f(junit(r));
    ASSERT_EQ(f.schema_errors(), "");
    expect_counts_match(f);
    EXPECT_EQ(f.xpath("count(//testcase)"), "1") << "no passing testcase when data was lost";
    EXPECT_EQ(f.xpath("string(//testsuite/@errors)"), "1");
    const std::string message = f.xpath("string(//error/@message)");
    EXPECT_TRUE(message.starts_with("the report may be incomplete: 3 records dropped")) << message;
    EXPECT_NE(message.find("raise --ringbuf-size"), std::string::npos) << message;
    EXPECT_NE(message.find("raise --max-processes"), std::string::npos) << message;
    EXPECT_EQ(f.xpath("string(//error/@type)"), "incomplete");
}

TEST(JunitFormat, SuppressedCountsAndCrashContextAreSuiteOutput) {
    Report r = report_with({});
    r.suppressed = {{"ignore-comm pool*", "flag", 4}};
    LeakGroup crashed = group("/opt/app/bin/tests", "start_helper", "helper", 106);
    crashed.kind = LeakKind::AliveAtCrash;
    r.alive_at_crash = {crashed};
    const XmlFile f(junit(r));
    ASSERT_EQ(f.schema_errors(), "");
    EXPECT_EQ(f.xpath("count(//testcase)"), "1");  // context, not leaks: still a pass
    const std::string out = f.xpath("string(/testsuites/testsuite/system-out)");
    EXPECT_NE(out.find("threadleak: suppressed 4 threads by ignore-comm pool* (flag)\n"), std::string::npos) << out;
    EXPECT_NE(out.find("was alive when a signal killed the process"), std::string::npos) << out;
}

TEST(JunitFormat, SameLabelsAreMadeUnique) {
    const XmlFile f(junit(report_with({group("/opt/app/bin/tests", "start_worker", "w", 101),
                                       group("/opt/app/bin/tests", "start_worker", "w", 102)})));
    ASSERT_EQ(f.schema_errors(), "");
    EXPECT_EQ(f.xpath("string(//testcase[1]/@name)"), "start_worker: 1 thread \"w\" (unjoined)");
    EXPECT_EQ(f.xpath("string(//testcase[2]/@name)"), "start_worker: 1 thread \"w\" (unjoined) #2");
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
    EXPECT_EQ(f.xpath("string(//testcase[1]/@classname)"), shown);  // its test, split at the '.'
    EXPECT_EQ(f.xpath("string(//testcase[1]/@name)"), shown);
    EXPECT_EQ(f.xpath("string(//testcase[2]/@classname)"), base);
    EXPECT_EQ(f.xpath("string(//testcase[2]/@name)"),
              shown + ": 1 thread \"" + in_xml(escape_quoted(hostile)) + "\" (unjoined)");
    EXPECT_EQ(f.xpath("string(//testcase[3]/@classname)"), base);
    EXPECT_EQ(f.xpath("string(//testcase[3]/@name)"), shown + ": process " + base + " (left running)");
    EXPECT_EQ(f.xpath("string(//property[@name='command']/@value)"), "/opt/" + shown + " " + shown);
    std::ostringstream entry;
    write_text_leak_group(r, r.leaks[1], entry);
    EXPECT_EQ(f.xpath("string(//testcase[2]/failure)"), in_xml(entry.str()));
}

}  // namespace
}  // namespace threadleak
