// `threadleak attach`'s command line (userspace/cli/options.h): -p and --all,
// the flags only --all takes, bad values (exit 64, one line naming the flag),
// the defaults, and attach --help.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/options.h"
#include "common/errors.h"
#include "formats/report_outputs.h"

namespace threadleak {
namespace {

using namespace std::chrono_literals;
using Args = std::vector<std::string>;

struct Refusal {
    int exit_code = 0;
    std::string message;
    bool operator==(const Refusal&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Refusal& r) {
    return out << "exit " << r.exit_code << ": \"" << r.message << "\"";
}

Refusal refusal(const Args& args) {
    try {
        parse_command_line(args);
    } catch (const UserError& e) {
        return {e.exit_code(), e.what()};
    }
    return {0, "(accepted)"};
}

Refusal usage(const std::string& message) { return {exit_code::kUsage, message}; }

AttachOptions attach(const Args& args) {
    Args all = {"attach"};
    all.insert(all.end(), args.begin(), args.end());
    const CommandLine cl = parse_command_line(all);
    EXPECT_EQ(cl.action, CommandLine::Action::kAttach);
    return cl.attach;
}

/// `attach -p 1 FLAG VALUE`
Refusal refusal_of(const std::string& flag, const std::string& value) {
    return refusal({"attach", "-p", "1", flag, value});
}

TEST(AttachOptions, PidsFromCommaListsAndRepeats) {
    EXPECT_EQ(attach({"-p", "1,2", "-p", "3"}).pids, (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(attach({"--pid", "4242"}).pids, (std::vector<int>{4242}));
    EXPECT_EQ(attach({"--pid=7,8"}).pids, (std::vector<int>{7, 8}));
    EXPECT_FALSE(attach({"-p", "1"}).all);
}

TEST(AttachOptions, BadPidNamesTheValue) {
    EXPECT_EQ(refusal({"attach", "-p", "abc"}), usage("-p 'abc' is not a process id; use -p PID[,PID...]"));
    EXPECT_EQ(refusal({"attach", "-p", "1,,2"}), usage("-p '' is not a process id; use -p PID[,PID...]"));
    EXPECT_EQ(refusal({"attach", "-p", "1,"}), usage("-p '' is not a process id; use -p PID[,PID...]"));
    EXPECT_EQ(refusal({"attach", "-p", "0"}), usage("-p '0' is not a process id; use -p PID[,PID...]"));
    EXPECT_EQ(refusal({"attach", "-p", "12x"}), usage("-p '12x' is not a process id; use -p PID[,PID...]"));
    EXPECT_EQ(refusal({"attach", "-p", "+5"}), usage("-p '+5' is not a process id; use -p PID[,PID...]"));
    EXPECT_EQ(refusal({"attach", "-p", " 5"}), usage("-p ' 5' is not a process id; use -p PID[,PID...]"));
    EXPECT_EQ(refusal({"attach", "-p", "99999999999999999999"}),
              usage("-p '99999999999999999999' is not a process id; use -p PID[,PID...]"));
    // On one line, whatever the value holds.
    EXPECT_EQ(refusal({"attach", "-p", "1\n2"}), usage("-p '1\\x0a2' is not a process id; use -p PID[,PID...]"));
}

TEST(AttachOptions, PidsOrAllButNotBoth) {
    EXPECT_EQ(refusal({"attach", "--all", "-p", "1"}), usage("-p and --all exclude each other; use one"));
    EXPECT_EQ(refusal({"attach"}),
              usage("attach needs -p PID or --all; use: threadleak attach -p PID (see threadleak attach --help)"));
    EXPECT_EQ(refusal({"attach", "--duration", "5s"}),
              usage("attach needs -p PID or --all; use: threadleak attach -p PID (see threadleak attach --help)"));
    EXPECT_TRUE(attach({"--all"}).all);
    EXPECT_TRUE(attach({"--all"}).pids.empty());
}

TEST(AttachOptions, CommAndCgroupNeedAll) {
    const Refusal expected = usage("--comm and --cgroup choose among --all's processes; add --all, or use -p PID");
    EXPECT_EQ(refusal_of("--comm", "java*"), expected);
    EXPECT_EQ(refusal_of("--cgroup", "system.slice"), expected);
    const AttachOptions o = attach({"--all", "--comm", "java*", "--cgroup", "/sys/fs/cgroup/system.slice"});
    EXPECT_EQ(o.comm_glob, "java*");
    EXPECT_EQ(o.cgroup, "/sys/fs/cgroup/system.slice");
}

TEST(AttachOptions, JunkDurationIsExit64InOneLine) {
    EXPECT_EQ(refusal_of("--duration", "5 parsecs"),
              usage("--duration '5 parsecs' is not a duration; use one like 500ms, 30s, 5m or 1h"));
    EXPECT_EQ(refusal_of("--duration", "-1s"),
              usage("--duration '-1s' is negative; use a duration like 500ms, 30s, 5m or 1h"));
    EXPECT_EQ(refusal_of("--interval", "0"), usage("--interval '0' is below the resolution; the minimum is 1ms"));
    EXPECT_EQ(refusal_of("--threshold", "soon"),
              usage("--threshold 'soon' is not a duration; use one like 500ms, 30s, 5m or 1h"));
    EXPECT_EQ(refusal_of("--min-observation", "10001h"),
              usage("--min-observation '10001h' is too large; the maximum is 10000h"));
    EXPECT_EQ(refusal({"attach", "-p", "1", "--duration"}), usage("--duration needs a value; see threadleak attach --help"));
}

TEST(AttachOptions, PrometheusBeyondLoopbackNeedsPublic) {
    EXPECT_EQ(refusal_of("--prometheus", "0.0.0.0:9"),
              usage("--prometheus 0.0.0.0:9: not a loopback address, and /metrics names the target's functions and "
                    "files: pass --prometheus-public to serve it beyond this host"));
    EXPECT_EQ(attach({"-p", "1", "--prometheus", "0.0.0.0:9", "--prometheus-public"}).prometheus, "0.0.0.0:9");
    EXPECT_EQ(refusal({"attach", "-p", "1", "--prometheus-public"}),
              usage("--prometheus-public needs --prometheus ADDR:PORT"));
    EXPECT_EQ(attach({"-p", "1", "--prometheus", "127.0.0.1:9464"}).prometheus, "127.0.0.1:9464");
    EXPECT_EQ(refusal_of("--prometheus-sites", "0"), usage("--prometheus-sites '0' is too small; the minimum is 1"));
}

TEST(AttachOptions, Defaults) {
    const AttachOptions o = attach({"-p", "1"});
    EXPECT_EQ(o.threshold, 10s);
    EXPECT_EQ(o.rule.min_observation, 30s);
    EXPECT_EQ(o.sample_interval, 1s);
    EXPECT_FALSE(o.duration.has_value());
    EXPECT_FALSE(o.interval.has_value());
    EXPECT_FALSE(o.baseline);
    EXPECT_FALSE(o.prometheus.has_value());
    EXPECT_EQ(o.prometheus_sites, 20u);
    EXPECT_EQ(o.error_exitcode, exit_code::kDefaultLeaks);
    EXPECT_EQ(o.outputs, (std::vector<OutputSpec>{{"", "text"}}));
    EXPECT_FALSE(o.suppressions.empty());  // the runtimes' default rules, as for run
    // run samples far more often: it measures how long each leaked thread was blocked.
    EXPECT_EQ(parse_command_line({"run", "--", "ls"}).run.sample_interval, 20ms);
}

TEST(AttachOptions, EveryFlagIsStored) {
    const AttachOptions o =
        attach({"-p", "5", "--duration", "2m", "--interval", "10s", "--threshold", "3s", "--baseline",
                "--min-observation", "1m", "--prometheus-sites", "7", "--sample-interval", "250ms", "-o", "s.json",
                "--error-exitcode", "9", "--no-default-suppressions", "-v"});
    EXPECT_EQ(o.duration, 2min);
    EXPECT_EQ(o.interval, 10s);
    EXPECT_EQ(o.threshold, 3s);
    EXPECT_TRUE(o.baseline);
    EXPECT_EQ(o.rule.min_observation, 1min);
    EXPECT_EQ(o.prometheus_sites, 7u);
    EXPECT_EQ(o.sample_interval, 250ms);
    EXPECT_EQ(o.outputs, (std::vector<OutputSpec>{{"s.json", "json"}}));
    EXPECT_EQ(o.error_exitcode, 9);
    EXPECT_TRUE(o.suppressions.empty());
    EXPECT_EQ(o.verbose, 1);
}

TEST(AttachOptions, RunFlagsAreUnknownToAttach) {
    EXPECT_EQ(refusal({"attach", "-p", "1", "--timeout", "5s"}),
              usage("unknown flag '--timeout'; see threadleak attach --help"));
    EXPECT_EQ(refusal({"attach", "-p", "1", "--per-test"}), usage("unknown flag '--per-test'; see threadleak attach --help"));
}

TEST(AttachOptions, HelpListsTheAttachFlagsAndTheFooter) {
    const CommandLine cl = parse_command_line({"attach", "--help"});
    ASSERT_EQ(cl.action, CommandLine::Action::kPrintHelp);
    const std::string& h = cl.text;
    EXPECT_NE(h.find("Usage: threadleak attach [OPTIONS]"), std::string::npos) << h;
    for (const char* flag : {"-p,--pid PID[,PID...] ...", "--all ", "--comm GLOB", "--cgroup PATH", "--duration DURATION",
                             "--interval DURATION", "--threshold DURATION", "--baseline ", "--min-observation DURATION",
                             "--prometheus ADDR:PORT", "--prometheus-public ", "--prometheus-sites N",
                             "--sample-interval DURATION", "--format FORMAT", "-o,--output FILE", "--ignore PATTERN"})
        EXPECT_NE(h.find(flag), std::string::npos) << "missing " << flag << " in\n" << h;
    for (const char* text : {"(default 10s)", "(default 30s)", "(default 1s)", "(default 20)",
                             "DURATION: a number and a unit (ns, us, ms, s, m, h) like 500ms or 30s.\n",
                             "The growth rule and its parameters: docs/growth-verdict.md.\n",
                             "EXAMPLES:\n  sudo threadleak attach -p 4242 --duration 60s\n"})
        EXPECT_NE(h.find(text), std::string::npos) << "missing " << text << " in\n" << h;
    EXPECT_EQ(h.find("--timeout"), std::string::npos);
    EXPECT_EQ(h.find("threadleak run"), std::string::npos) << "run's examples";
    size_t start = 0;
    while (start < h.size()) {
        const size_t end = std::min(h.find('\n', start), h.size());
        EXPECT_LE(end - start, 80u) << h.substr(start, end - start);
        start = end + 1;
    }
}

}  // namespace
}  // namespace threadleak
