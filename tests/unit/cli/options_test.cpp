// The command line (userspace/cli/options.h): every usage error is exit 64
// with one line naming the flag and the fix; defaults come from BpfOptions'
// constants; values at the limits are accepted.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "capture/bpf_session.h"
#include "analyze/default_suppressions.h"
#include "cli/options.h"
#include "common/errors.h"
#include "formats/report_format.h"
#include "formats/report_outputs.h"

namespace threadleak {
namespace {

using namespace std::chrono_literals;
using Args = std::vector<std::string>;

/// How parse_command_line refused `args`: exit code and message.
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

/// `run FLAG VALUE -- ls`
Refusal refusal_of(const std::string& flag, const std::string& value) {
    return refusal({"run", flag, value, "--", "ls"});
}

Refusal usage(const std::string& message) { return {exit_code::kUsage, message}; }

RunOptions parsed(const Args& args) {
    CommandLine cl = parse_command_line(args);
    EXPECT_EQ(cl.action, CommandLine::Action::kRun);
    return cl.run;
}

std::string help_of(const Args& args) {
    CommandLine cl = parse_command_line(args);
    EXPECT_EQ(cl.action, CommandLine::Action::kPrintHelp);
    return cl.text;
}

TEST(Options, MissingOrUnknownSubcommandNamesIt) {
    EXPECT_EQ(refusal({}), usage("missing subcommand; use: threadleak run -- CMD, or threadleak attach -p PID (see threadleak --help)"));
    EXPECT_EQ(refusal({"bogus"}),
              usage("unknown subcommand 'bogus'; use: threadleak run -- CMD, or threadleak attach -p PID (see threadleak --help)"));
    EXPECT_EQ(refusal({"bogus", "run", "--", "ls"}),
              usage("unknown subcommand 'bogus'; use: threadleak run -- CMD, or threadleak attach -p PID (see threadleak --help)"));
    EXPECT_EQ(refusal({"--bogus"}), usage("unknown flag '--bogus'; see threadleak --help"));
}

TEST(Options, MissingCommand) {
    const Refusal expected =
        usage("run needs a command; use: threadleak run [OPTIONS] -- CMD (see threadleak run --help)");
    EXPECT_EQ(refusal({"run"}), expected);
    EXPECT_EQ(refusal({"run", "--"}), expected);
    EXPECT_EQ(refusal({"run", "--timeout", "5s"}), expected);
}

TEST(Options, UnknownFlagOfRun) {
    EXPECT_EQ(refusal({"run", "--bogus", "--", "ls"}), usage("unknown flag '--bogus'; see threadleak run --help"));
    EXPECT_EQ(refusal({"run", "-x", "--", "ls"}), usage("unknown flag '-x'; see threadleak run --help"));
    EXPECT_EQ(refusal({"run", "--stacksize", "16K", "--", "ls"}),
              usage("unknown flag '--stacksize'; see threadleak run --help"));
}

TEST(Options, FlagWithoutValue) {
    EXPECT_EQ(refusal({"run", "--timeout"}), usage("--timeout needs a value; see threadleak run --help"));
    // CLI11 takes the "--" as the value: the same mistake.
    EXPECT_EQ(refusal({"run", "--stack-size", "--", "ls"}),
              usage("--stack-size needs a value; use a byte count like 16384 or 16K, from 512 to 32K"));
    EXPECT_EQ(refusal({"run", "--timeout", "--", "ls"}),
              usage("--timeout needs a value; use a duration like 500ms, 30s, 5m or 1h"));
    EXPECT_EQ(refusal({"run", "--error-exitcode", "--", "ls"}),
              usage("--error-exitcode needs a value; use a whole number from 0 to 255"));
}

TEST(Options, UnknownFormatNamesEveryRegisteredOne) {
    std::string names;
    for (size_t i = 0; i < report_formats().size(); ++i) {
        if (i > 0) names += i + 1 == report_formats().size() ? " or " : ", ";
        names += report_formats()[i].name;
    }
    EXPECT_EQ(names, "text, json, junit, pprof, folded, svg or html");  // what a user reads today
    EXPECT_EQ(refusal_of("--format", "xml"), usage("--format 'xml' is unknown; use " + names));
    EXPECT_EQ(refusal_of("--format", "TEXT"), usage("--format 'TEXT' is unknown; use " + names));
    EXPECT_EQ(refusal_of("--format", ""), usage("--format needs a value; use " + names));
}

TEST(Options, EmptyOutputIsRefused) {
    EXPECT_EQ(refusal_of("-o", ""), usage("--output needs a file name; omit it to write to stderr"));
    EXPECT_EQ(refusal_of("--output", ""), usage("--output needs a file name; omit it to write to stderr"));
    EXPECT_EQ(refusal({"run", "-o", "--", "ls"}), usage("--output needs a file name; omit it to write to stderr"));
}

TEST(Options, EachOutputTakesTheFormatOfItsExtension) {
    EXPECT_EQ(parsed({"run", "-o", "r.json", "--output", "out/leaks.xml", "-o", "log.TXT", "--", "ls"}).outputs,
              (std::vector<OutputSpec>{{"r.json", "json"}, {"out/leaks.xml", "junit"}, {"log.TXT", "text"}}));
    // One FILE per -o: the next word is the command.
    EXPECT_EQ(parsed({"run", "-o", "r.json", "ls", "x.xml"}).command, (Args{"ls", "x.xml"}));
}

TEST(Options, FormatDecidesForASingleOutput) {
    EXPECT_EQ(parsed({"run", "--format", "json", "-o", "r.xml", "--", "ls"}).outputs,
              (std::vector<OutputSpec>{{"r.xml", "json"}}));
    EXPECT_EQ(parsed({"run", "--format", "junit", "-o", "leaks.log", "--", "ls"}).outputs,
              (std::vector<OutputSpec>{{"leaks.log", "junit"}}));
    EXPECT_EQ(parsed({"run", "-o", "/dev/stdout", "--", "ls"}).outputs,
              (std::vector<OutputSpec>{{"/dev/stdout", "text"}}));  // no extension: the default
    EXPECT_EQ(parsed({"run", "--format", "junit", "--", "ls"}).outputs, (std::vector<OutputSpec>{{"", "junit"}}));
}

TEST(Options, UnknownExtensionNamesTheKnownOnes) {
    EXPECT_EQ(refusal({"run", "-o", "leaks.log", "--", "ls"}),
              usage("--output leaks.log has an unknown extension '.log'; name it .txt (text), .json (json), "
                    ".xml (junit), .pb.gz (pprof), .folded (folded), .svg (svg) or .html (html), or choose the format with --format"));
    EXPECT_EQ(refusal({"run", "-o", "r.json", "-o", "leaks.log", "--", "ls"}),
              usage("--output leaks.log has an unknown extension '.log'; with several --output, name each "
                    ".txt (text), .json (json), .xml (junit), .pb.gz (pprof), .folded (folded), .svg (svg) or .html (html)"));
    EXPECT_EQ(refusal({"run", "-o", "r.json", "-o", "/dev/stdout", "--", "ls"}),
              usage("--output /dev/stdout has no extension; with several --output, name each "
                    ".txt (text), .json (json), .xml (junit), .pb.gz (pprof), .folded (folded), .svg (svg) or .html (html)"));
    EXPECT_EQ(refusal({"run", "-o", "bad\n.x\x1b", "--", "ls"}),
              usage("--output bad\\x0a.x\\x1b has an unknown extension '.x\\x1b'; name it .txt (text), "
                    ".json (json), .xml (junit), .pb.gz (pprof), .folded (folded), .svg (svg) or .html (html), or choose the format with --format"));
}

TEST(Options, FormatWithSeveralOutputsMustAgreeWithEvery) {
    EXPECT_EQ(parsed({"run", "--format", "json", "-o", "a.json", "-o", "b.json", "--", "ls"}).outputs,
              (std::vector<OutputSpec>{{"a.json", "json"}, {"b.json", "json"}}));
    EXPECT_EQ(refusal({"run", "--format", "json", "-o", "a.json", "-o", "b.xml", "--", "ls"}),
              usage("--format json contradicts --output b.xml (junit); with several --output, each takes its "
                    "format from its extension: drop --format"));
}

TEST(Options, AnOutputGivenTwiceIsRefused) {
    EXPECT_EQ(refusal({"run", "-o", "a.json", "-o", "a.json", "--", "ls"}),
              usage("--output a.json is given twice; name each file once"));
}

TEST(Options, BadErrorExitcode) {
    EXPECT_EQ(refusal_of("--error-exitcode", "300"), usage("--error-exitcode '300' is too large; the maximum is 255"));
    EXPECT_EQ(refusal_of("--error-exitcode", "256"), usage("--error-exitcode '256' is too large; the maximum is 255"));
    EXPECT_EQ(refusal_of("--error-exitcode", "-1"),
              usage("--error-exitcode '-1' is negative; use a whole number from 0 to 255"));
    EXPECT_EQ(refusal_of("--error-exitcode", "abc"),
              usage("--error-exitcode 'abc' is not a whole number; use one from 0 to 255"));
    EXPECT_EQ(refusal_of("--error-exitcode", "1.5"),
              usage("--error-exitcode '1.5' is not a whole number; use one from 0 to 255"));
    EXPECT_EQ(refusal_of("--error-exitcode", "99999999999999999999999"),
              usage("--error-exitcode '99999999999999999999...' is too large; the maximum is 255"));
}

TEST(Options, BadStackSize) {
    EXPECT_EQ(refusal_of("--stack-size", "99999999999999999999"),
              usage("--stack-size '99999999999999999999' is too large; the maximum is 32K"));
    EXPECT_EQ(refusal_of("--stack-size", "32769"), usage("--stack-size '32769' is too large; the maximum is 32K"));
    EXPECT_EQ(refusal_of("--stack-size", "64K"), usage("--stack-size '64K' is too large; the maximum is 32K"));
    EXPECT_EQ(refusal_of("--stack-size", "99999999999999999G"),
              usage("--stack-size '99999999999999999G' is too large; the maximum is 32K"));
    EXPECT_EQ(refusal_of("--stack-size", "511"), usage("--stack-size '511' is too small; the minimum is 512"));
    EXPECT_EQ(refusal_of("--stack-size", "0"), usage("--stack-size '0' is too small; the minimum is 512"));
    EXPECT_EQ(refusal_of("--stack-size", "-5"),
              usage("--stack-size '-5' is negative; use a byte count like 16384 or 16K, from 512 to 32K"));
    EXPECT_EQ(refusal_of("--stack-size", "16KB"),
              usage("--stack-size '16KB' is not a byte count; use one like 16384 or 16K, from 512 to 32K"));
    EXPECT_EQ(refusal_of("--stack-size", "K"),
              usage("--stack-size 'K' is not a byte count; use one like 16384 or 16K, from 512 to 32K"));
}

TEST(Options, BadRingbufSize) {
    EXPECT_EQ(refusal_of("--ringbuf-size", "5000"),
              usage("--ringbuf-size '5000' is not a power of two; use one from 4K to 1G, like 4K"));
    EXPECT_EQ(refusal_of("--ringbuf-size", "48M"),
              usage("--ringbuf-size '48M' is not a power of two; use one from 4K to 1G, like 32M"));
    EXPECT_EQ(refusal_of("--ringbuf-size", "2048"), usage("--ringbuf-size '2048' is too small; the minimum is 4K"));
    EXPECT_EQ(refusal_of("--ringbuf-size", "2G"), usage("--ringbuf-size '2G' is too large; the maximum is 1G"));
    EXPECT_EQ(refusal_of("--ringbuf-size", std::string(400, '9')),
              usage("--ringbuf-size '99999999999999999999...' is too large; the maximum is 1G"));
    EXPECT_EQ(refusal_of("--ringbuf-size", "-4096"),
              usage("--ringbuf-size '-4096' is negative; use a byte count like 16384 or 16K, from 4K to 1G"));
}

TEST(Options, BadMaxProcesses) {
    EXPECT_EQ(refusal_of("--max-processes", "0"), usage("--max-processes '0' is too small; the minimum is 1"));
    EXPECT_EQ(refusal_of("--max-processes", "4194305"),
              usage("--max-processes '4194305' is too large; the maximum is 4194304"));
    EXPECT_EQ(refusal_of("--max-processes", "-3"),
              usage("--max-processes '-3' is negative; use a whole number from 1 to 4194304"));
    EXPECT_EQ(refusal_of("--max-processes", "4K"),
              usage("--max-processes '4K' is not a whole number; use one from 1 to 4194304"));
}

TEST(Options, BadTimeout) {
    EXPECT_EQ(refusal_of("--timeout", "99999999h"), usage("--timeout '99999999h' is too large; the maximum is 10000h"));
    EXPECT_EQ(refusal_of("--timeout", "10001h"), usage("--timeout '10001h' is too large; the maximum is 10000h"));
    EXPECT_EQ(refusal_of("--timeout", std::string(400, '9')),
              usage("--timeout '99999999999999999999...' is too large; the maximum is 10000h"));
    EXPECT_EQ(refusal_of("--timeout", "1ns"), usage("--timeout '1ns' is below the resolution; the minimum is 1ms"));
    EXPECT_EQ(refusal_of("--timeout", "999us"),
              usage("--timeout '999us' is below the resolution; the minimum is 1ms"));
    EXPECT_EQ(refusal_of("--timeout", "0"), usage("--timeout '0' is below the resolution; the minimum is 1ms"));
    EXPECT_EQ(refusal_of("--timeout", "abc"),
              usage("--timeout 'abc' is not a duration; use one like 500ms, 30s, 5m or 1h"));
    EXPECT_EQ(refusal_of("--timeout", "5x"), usage("--timeout '5x' is not a duration; use one like 500ms, 30s, 5m or 1h"));
    EXPECT_EQ(refusal_of("--timeout", "-1s"),
              usage("--timeout '-1s' is negative; use a duration like 500ms, 30s, 5m or 1h"));
}

TEST(Options, BadSampleInterval) {
    EXPECT_EQ(refusal_of("--sample-interval", "1us"),
              usage("--sample-interval '1us' is below the resolution; the minimum is 1ms"));
    EXPECT_EQ(refusal_of("--sample-interval", "99999999h"),
              usage("--sample-interval '99999999h' is too large; the maximum is 10000h"));
    EXPECT_EQ(refusal_of("--sample-interval", "fast"),
              usage("--sample-interval 'fast' is not a duration; use one like 500ms, 30s, 5m or 1h"));
    EXPECT_EQ(refusal_of("--sample-interval", "-20ms"),
              usage("--sample-interval '-20ms' is negative; use a duration like 500ms, 30s, 5m or 1h"));
}

TEST(Options, MessagesStayOnOneLine) {
    EXPECT_EQ(refusal_of("--timeout", "5\ns"),
              usage("--timeout '5\\x0as' is not a duration; use one like 500ms, 30s, 5m or 1h"));
}

TEST(Options, DefaultsAreTheBpfOptionsConstants) {
    const RunOptions run = parsed({"run", "--", "ls"});
    EXPECT_EQ(run.command, Args{"ls"});
    EXPECT_EQ(run.bpf.stack_size, kDefaultStackSize);
    EXPECT_EQ(run.bpf.ringbuf_bytes, kDefaultRingbufBytes);
    EXPECT_EQ(run.bpf.max_processes, kDefaultMaxProcesses);
    EXPECT_EQ(run.bpf.verbose, 0);
    EXPECT_EQ(run.outputs, (std::vector<OutputSpec>{{"", "text"}}));  // stderr
    EXPECT_EQ(run.error_exitcode, exit_code::kDefaultLeaks);
    EXPECT_FALSE(run.timeout.has_value());
    EXPECT_FALSE(run.wait_descendants);
    EXPECT_EQ(run.sample_interval, 20ms);
    EXPECT_EQ(run.verbose, 0);
    // The values README.md states.
    EXPECT_EQ(kDefaultStackSize, 16384u);
    EXPECT_EQ(kDefaultRingbufBytes, 32u << 20);
    EXPECT_EQ(kDefaultMaxProcesses, 4096u);
}

TEST(Options, EveryFlagIsStored) {
    const RunOptions run = parsed({"run", "--format", "json", "-o", "leaks.json", "--error-exitcode", "3",
                                   "--timeout", "1.5s", "--wait-descendants", "--stack-size", "8K",
                                   "--ringbuf-size", "64M",
                                   "--max-processes", "100", "--sample-interval", "50ms", "-vv", "--",
                                   "./prog", "-x", "--flag"});
    EXPECT_EQ(run.outputs, (std::vector<OutputSpec>{{"leaks.json", "json"}}));
    EXPECT_EQ(run.error_exitcode, 3);
    EXPECT_EQ(run.timeout, 1500ms);
    EXPECT_TRUE(run.wait_descendants);
    EXPECT_EQ(run.bpf.stack_size, 8192u);
    EXPECT_EQ(run.bpf.ringbuf_bytes, 64u << 20);
    EXPECT_EQ(run.bpf.max_processes, 100u);
    EXPECT_EQ(run.sample_interval, 50ms);
    EXPECT_EQ(run.verbose, 2);
    EXPECT_EQ(run.bpf.verbose, 2);
    EXPECT_EQ(run.command, (Args{"./prog", "-x", "--flag"}));
}

TEST(Options, LongNamesAndEqualsSigns) {
    const RunOptions run = parsed({"run", "--output=x.txt", "--verbose", "--stack-size=1024", "ls"});
    EXPECT_EQ(run.outputs, (std::vector<OutputSpec>{{"x.txt", "text"}}));
    EXPECT_EQ(run.verbose, 1);
    EXPECT_EQ(run.bpf.stack_size, 1024u);
}

TEST(Options, FlagsAfterTheCommandAreTheCommands) {
    const RunOptions run = parsed({"run", "ls", "-l", "--timeout", "5s"});
    EXPECT_EQ(run.command, (Args{"ls", "-l", "--timeout", "5s"}));
    EXPECT_FALSE(run.timeout.has_value());
}

TEST(Options, ARepeatedFlagTakesItsLastValue) {
    const RunOptions run = parsed({"run", "--timeout", "1s", "--timeout", "2s", "--", "ls"});
    EXPECT_EQ(run.timeout, 2s);
}

TEST(Options, ValuesAtTheLimitsAreAccepted) {
    auto with = [](const std::string& flag, const std::string& value) {
        return parsed({"run", flag, value, "--", "ls"});
    };
    EXPECT_EQ(with("--stack-size", "512").bpf.stack_size, kMinStackSize);
    EXPECT_EQ(with("--stack-size", "32768").bpf.stack_size, kMaxStackSize);
    EXPECT_EQ(with("--stack-size", "32K").bpf.stack_size, kMaxStackSize);
    EXPECT_EQ(with("--ringbuf-size", "128K").bpf.ringbuf_bytes, min_ringbuf_bytes(kDefaultStackSize));
    EXPECT_EQ(with("--ringbuf-size", "1G").bpf.ringbuf_bytes, kMaxRingbufBytes);
    EXPECT_EQ(with("--ringbuf-size", "1073741824").bpf.ringbuf_bytes, kMaxRingbufBytes);
    EXPECT_EQ(with("--max-processes", "1").bpf.max_processes, kMinMaxProcesses);
    EXPECT_EQ(with("--max-processes", "4194304").bpf.max_processes, kMaxMaxProcesses);
    EXPECT_EQ(with("--error-exitcode", "0").error_exitcode, 0);
    EXPECT_EQ(with("--error-exitcode", "255").error_exitcode, 255);
    EXPECT_EQ(with("--timeout", "1ms").timeout, kMinDuration);
    EXPECT_EQ(with("--timeout", "10000h").timeout, kMaxDuration);
    EXPECT_EQ(with("--sample-interval", "1ms").sample_interval, kMinDuration);
    EXPECT_EQ(with("--sample-interval", "10000h").sample_interval, kMaxDuration);
    EXPECT_EQ(with("--sample-interval", "1500us").sample_interval, 1ms);  // kept in whole ms
    EXPECT_EQ(with("--output", "-").outputs, (std::vector<OutputSpec>{{"-", "text"}}));
}

TEST(Options, StackAndWeightChooseWhatTheFlameGraphsDraw) {
    const RunOptions defaults = parsed({"run", "--", "ls"});
    EXPECT_EQ(defaults.format_options.stack, FlameStack::Both);
    EXPECT_EQ(defaults.format_options.weight, FlameWeight::Count);
    const RunOptions run =
        parsed({"run", "--format", "svg", "--stack", "creation", "--weight", "time", "--", "ls"});
    EXPECT_EQ(run.format_options.stack, FlameStack::Creation);
    EXPECT_EQ(run.format_options.weight, FlameWeight::Time);
    EXPECT_EQ(parsed({"run", "--stack=blocking", "--", "ls"}).format_options.stack, FlameStack::Blocking);
    EXPECT_EQ(parsed({"run", "--weight=count", "--", "ls"}).format_options.weight, FlameWeight::Count);
    EXPECT_EQ(refusal_of("--stack", "leaf"), usage("--stack 'leaf' is unknown; use creation, blocking or both"));
    EXPECT_EQ(refusal_of("--weight", "bytes"), usage("--weight 'bytes' is unknown; use count or time"));
}

TEST(Options, EveryRegisteredFormatIsAccepted) {
    for (const FormatInfo& f : report_formats()) {
        const std::string file = "report." + std::string(f.extension);
        EXPECT_EQ(parsed({"run", "--format", std::string(f.name), "-o", file, "--", "ls"}).outputs,
                  (std::vector<OutputSpec>{{file, std::string(f.name)}}));
        if (!f.binary) {
            EXPECT_EQ(parsed({"run", "--format", std::string(f.name), "--", "ls"}).outputs,
                      (std::vector<OutputSpec>{{"", std::string(f.name)}}));
        }
    }
}

TEST(Options, BinaryFormatNeedsAnOutputFile) {
    EXPECT_EQ(refusal_of("--format", "pprof"),
              usage("--format pprof writes a binary file, not text for stderr: add --output FILE "
                    "(e.g. -o leaks.pb.gz)"));
    EXPECT_EQ(parsed({"run", "--format", "pprof", "-o", "/dev/stdout", "--", "ls"}).outputs,
              (std::vector<OutputSpec>{{"/dev/stdout", "pprof"}}));
    EXPECT_EQ(parsed({"run", "-o", "leaks.pb.gz", "--", "ls"}).outputs,
              (std::vector<OutputSpec>{{"leaks.pb.gz", "pprof"}}));
}

TEST(Options, HelpIsReturnedNotPrinted) {
    const std::string top = help_of({"--help"});
    EXPECT_NE(top.find("Usage: threadleak [OPTIONS] [SUBCOMMAND]"), std::string::npos) << top;
    EXPECT_NE(top.find("  run "), std::string::npos) << top;
    EXPECT_NE(top.find("EXAMPLES:\n  sudo threadleak run -- ./my_tests --gtest_filter=Foo.*\n"), std::string::npos)
        << top;
    const std::string run = help_of({"run", "--help"});
    EXPECT_NE(run.find("Usage: threadleak run [OPTIONS] command..."), std::string::npos) << run;
    EXPECT_NE(run.find("  sudo threadleak run --timeout 30s -- ./maybe_hangs\n"), std::string::npos) << run;
    EXPECT_EQ(help_of({"run", "-h"}), run);
    EXPECT_EQ(help_of({"run", "--timeout", "5s", "--help"}), run);
}

TEST(Options, HelpListsEveryFormatWithItsDescription) {
    const std::string run = help_of({"run", "--help"});
    EXPECT_NE(run.find("--format FORMAT             report format (default text):\n"), std::string::npos) << run;
    size_t width = 0;  // names are padded to the longest
    for (const FormatInfo& f : report_formats()) width = std::max(width, f.name.size());
    for (const FormatInfo& f : report_formats()) {
        const std::string row = std::string(f.name) + std::string(width - f.name.size() + 2, ' ') +
                                std::string(f.description) + "\n";
        EXPECT_NE(run.find(row), std::string::npos) << row << " missing in\n" << run;
    }
}

TEST(Options, HelpShowsTheDefaults) {
    const std::string run = help_of({"run", "--help"});
    for (const char* text : {"-o,--output FILE ...        write the report to FILE, in the format its\n"
                             "                              extension names (.txt text, .json json, .xml\n"
                             "                              junit, .pb.gz pprof, .folded folded, .svg svg,\n"
                             "                              .html html); repeatable, to write several\n"
                             "                              (default stderr)\n",
                             "--error-exitcode N          exit code if threads leaked, 0 to 255 (default 66)\n",
                             "1ms to 10000h\n                              (default none)\n",
                             "--stack-size BYTES          bytes of user stack copied per capture, 512 to 32K\n"
                             "                              (default 16K)\n",
                             "(default 32M)\n", "1 to 4194304\n                              (default 4096)\n",
                             "(default 20ms)\n", "-v,--verbose "}) {
        EXPECT_NE(run.find(text), std::string::npos) << "missing: " << text << "\nin:\n" << run;
    }
}

TEST(Options, HelpFitsEightyColumns) {
    const std::string run = help_of({"run", "--help"});
    size_t start = 0;
    while (start < run.size()) {
        const size_t end = std::min(run.find('\n', start), run.size());
        EXPECT_LE(end - start, 80u) << run.substr(start, end - start);
        start = end + 1;
    }
}

TEST(Options, VersionIsReturnedNotPrinted) {
    const CommandLine cl = parse_command_line({"--version"});
    EXPECT_EQ(cl.action, CommandLine::Action::kPrintVersion);
    EXPECT_EQ(cl.text.rfind("threadleak ", 0), 0u) << cl.text;
    EXPECT_TRUE(cl.text.ends_with("\n"));
    EXPECT_EQ(cl.text.find('\n'), cl.text.size() - 1);
}

TEST(Options, RingBufferThatCannotHoldTheLargestRecordIsRefused) {
    EXPECT_EQ(min_ringbuf_bytes(kDefaultStackSize), 128u * 1024);
    EXPECT_EQ(min_ringbuf_bytes(kMaxStackSize), 256u * 1024);
    try {
        parse_command_line({"run", "--ringbuf-size", "4096", "--", "true"});
        FAIL() << "a 4 KiB ring buffer was accepted";
    } catch (const UserError& e) {
        EXPECT_EQ(e.exit_code(), 64);
        EXPECT_STREQ(e.what(), "--ringbuf-size 4K cannot hold four of the largest records (stack copies of "
                               "--stack-size 16K); use at least 128K");
    }
    EXPECT_EQ(parse_command_line({"run", "--stack-size", "512", "--ringbuf-size", "64K", "--", "true"})
                  .run.bpf.ringbuf_bytes, 64u * 1024);
}

TEST(Options, SuppressionsAreTriedFlagsFirstThenDefaults) {
    const RunOptions opt = parsed({"run", "--ignore-comm", "a*", "--ignore-top", "b", "--ignore", "c",
                                   "--ignore-created-by", "d", "--", "ls"});
    ASSERT_GT(opt.suppressions.size(), 4u);
    // Flag rules come in the order of the flag table (--help), not of the command line.
    EXPECT_EQ(rule_text(opt.suppressions[0]), "ignore c");
    EXPECT_EQ(rule_text(opt.suppressions[1]), "ignore-top b");
    EXPECT_EQ(rule_text(opt.suppressions[2]), "ignore-comm a*");
    EXPECT_EQ(rule_text(opt.suppressions[3]), "ignore-created-by d");
    EXPECT_EQ(opt.suppressions[0].source, "flag");
    EXPECT_EQ(opt.suppressions.size(), 4 + default_suppressions().size());
    EXPECT_EQ(opt.suppressions[4].source, "default");
    EXPECT_EQ(parsed({"run", "--no-default-suppressions", "--", "ls"}).suppressions.size(), 0u);
}

TEST(Options, PrintSuppressionsNeedsNoCommand) {
    const CommandLine cl = parse_command_line({"run", "--no-default-suppressions", "--ignore-comm", "x",
                                               "--print-suppressions"});
    EXPECT_EQ(cl.action, CommandLine::Action::kPrintSuppressions);
    EXPECT_EQ(cl.text, "# flag\nignore-comm x\n");
    const std::string all = parse_command_line({"run", "--print-suppressions"}).text;
    for (const SuppressionRule& r : default_suppressions())
        EXPECT_NE(all.find("# default: " + r.why + "\n" + rule_text(r) + "\n"), std::string::npos) << all;
}

}  // namespace
}  // namespace threadleak
