#include "cli/options.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <optional>

#include "analyze/default_suppressions.h"
#include "analyze/suppressions.h"
#include "capture/bpf_session.h"
#include "cli/flag_values.h"
#include "cli/output_flags.h"
#include "common/duration.h"
#include "common/errors.h"
#include "common/version.h"
#include "formats/report_format.h"
#include "modes/metrics_endpoint.h"

namespace threadleak {
namespace {

constexpr const char* kRunUsage = "use: threadleak run -- CMD, or threadleak attach -p PID (see threadleak --help)";

constexpr const char* kAttachFooter =
    "DURATION: a number and a unit (ns, us, ms, s, m, h) like 500ms or 30s.\n"
    "The growth rule and its parameters: docs/growth-verdict.md.\n"
    "\n"
    "EXAMPLES:\n"
    "  sudo threadleak attach -p 4242 --duration 60s\n"
    "  sudo threadleak attach -p 4242,4243 --interval 10s\n"
    "  sudo threadleak attach --all --comm 'java*' --duration 5m -o sites.json\n"
    "  sudo threadleak attach -p 4242 --baseline --duration 30s\n"
    "  sudo threadleak attach -p 4242 --prometheus 127.0.0.1:9464\n";

constexpr const char* kFooter =
    "BYTES: a count, or one with a K, M or G suffix (x1024) like 16K.\n"
    "DURATION: a number and a unit (ns, us, ms, s, m, h) like 500ms or 30s.\n"
    "\n"
    "EXAMPLES:\n"
    "  sudo threadleak run -- ./my_tests --gtest_filter=Foo.*\n"
    "  sudo threadleak run --format json --output leaks.json -- ./server --selftest\n"
    "  sudo threadleak run -o leaks.json -o leaks.xml -- ./my_tests\n"
    "  sudo threadleak run --timeout 30s -- ./maybe_hangs\n"
    "  sudo threadleak run --wait-descendants --timeout 1m -- ./test_script.sh\n";

/// A flag's help: `text` broken at spaces into lines of at most 50 columns
/// (CLI11 indents the next lines to its description column, 30, so the help
/// fits 80 columns), then `(default X)` unless `default_value` is empty,
/// never split across lines.
std::string help(const std::string& text, const std::string& default_value = "") {
    constexpr size_t kWidth = 50;
    std::vector<std::string> words;
    for (size_t start = 0; start < text.size();) {
        const size_t end = std::min(text.find(' ', start), text.size());
        words.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    if (!default_value.empty()) words.push_back("(default " + default_value + ")");
    std::string out;
    size_t line = 0;
    for (const std::string& word : words) {
        if (line > 0 && line + 1 + word.size() > kWidth) {
            out += '\n';
            line = 0;
        } else if (line > 0) {
            out += ' ';
            line++;
        }
        out += word;
        line += word.size();
    }
    return out;
}

/// "report format (default text):" and one line per registry row.
std::string format_help(const std::string& default_name) {
    size_t width = 0;
    for (const FormatInfo& f : report_formats()) width = std::max(width, f.name.size());
    std::string text = "report format (default " + default_name + "):";
    for (const FormatInfo& f : report_formats())
        text += "\n  " + std::string(f.name) + std::string(width - f.name.size() + 2, ' ') +
                std::string(f.description);
    return text;
}

std::vector<std::string> format_names() {
    std::vector<std::string> names;
    for (const FormatInfo& f : report_formats()) names.emplace_back(f.name);
    return names;
}

std::string range(uint64_t min, uint64_t max) { return std::to_string(min) + " to " + std::to_string(max); }
std::string byte_range(uint64_t min, uint64_t max) { return bytes_text(min) + " to " + bytes_text(max); }

/// What the suppression flags collect; turned into RunOptions::suppressions
/// after parsing, in the order rules are tried: flags, files, defaults.
struct SuppressionFlags {
    std::vector<SuppressionRule> flag_rules;
    std::vector<std::string> files;
    bool no_defaults = false;
    bool print = false;
};

void add_suppression_flags(CLI::App* run, SuppressionFlags& s) {
    const struct {
        MatchOn on;
        const char* text;
    } kFlags[] = {
        {MatchOn::AnyFrame, "silence threads with a frame (function or module) matching the glob "
                            "PATTERN in their creation or blocking stack; repeatable"},
        {MatchOn::TopFrame, "silence threads whose innermost blocking frame outside libc matches PATTERN"},
        {MatchOn::Comm, "silence threads whose name matches PATTERN"},
        {MatchOn::CreatedBy, "silence threads with a frame matching PATTERN in their creation stack"},
    };
    for (const auto& f : kFlags) {
        const MatchOn on = f.on;
        run->add_option_function<std::vector<std::string>>(
               std::string("--") + keyword(on),
               [&s, on](const std::vector<std::string>& patterns) {
                   for (const std::string& p : patterns) s.flag_rules.push_back(flag_rule(on, p));
               },
               help(f.text))
            ->type_name("PATTERN")
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    }
    run->add_option("--suppressions", s.files,
                    help("read rules from FILE, one a line (ignore PATTERN, ignore-top, ignore-comm, "
                         "ignore-created-by; # comments); repeatable"))
        ->type_name("FILE")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    run->add_flag("--no-default-suppressions", s.no_defaults,
                  help("report the threads language runtimes and glibc keep by design (JVM, Go, "
                       "OpenMP, Erlang, Ruby, Node.js)"));
    run->add_flag("--print-suppressions", s.print,
                  help("print the active rules as a suppressions file and exit"));
}

/// --stack and --weight: what the flame-graph formats draw.
void add_flame_flags(CLI::App* run, FormatOptions& f) {
    const FormatOptions defaults;
    run->add_option_function<std::string>(
           "--stack",
           [&f](const std::string& v) {
               f.stack = v == "creation" ? FlameStack::Creation
                         : v == "blocking" ? FlameStack::Blocking
                                           : FlameStack::Both;
           },
           help("flame-graph stacks: creation, blocking or both (folded, svg, html; both: creation "
                "frames, [thread start], then blocking frames)",
                to_string(defaults.stack)))
        ->type_name("WHICH")
        ->check(one_of({"creation", "blocking", "both"}));
    run->add_option_function<std::string>(
           "--weight", [&f](const std::string& v) { f.weight = v == "time" ? FlameWeight::Time : FlameWeight::Count; },
           help("what sets a flame graph's widths: count or time (leaked threads, or the time they "
                "were blocked)",
                to_string(defaults.weight)))
        ->type_name("WHAT")
        ->check(one_of({"count", "time"}));
}

UserError usage(const std::string& message) { return UserError(exit_code::kUsage, message); }

std::string durations_text() { return duration_text(kMinDuration) + " to " + duration_text(kMaxDuration); }

/// --format, --stack, --weight, -o and --error-exitcode: where the report
/// goes and how it reads, for every mode.
void add_report_flags(CLI::App* run, ObserveOptions& opt, OutputFlags& outputs) {
    const ObserveOptions defaults;
    run->add_option_function<std::string>(
           "--format", [&outputs](const std::string& name) { outputs.format = name; },
           format_help(kDefaultFormat))
        ->type_name("FORMAT")
        ->check(one_of(format_names()));
    add_flame_flags(run, opt.format_options);
    run->add_option("-o,--output", outputs.paths,
                    help("write the report to FILE, in the format its extension names (" + extensions_text() +
                             "); repeatable, to write several",
                         "stderr"))
        ->type_name("FILE")
        ->check(file_name("write to stderr"))
        ->allow_extra_args(false)  // one FILE per -o: `-o a.json ls` runs ls
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    run->add_option("--error-exitcode", opt.error_exitcode,
                    help("exit code if threads leaked, " + range(0, 255),
                         std::to_string(defaults.error_exitcode)))
        ->type_name("N")
        ->check(whole_number(0, 255));
}

/// --stack-size, --ringbuf-size, --track-wakes, --max-processes, --sample-interval and -v:
/// what the BPF side may use, for every mode. Help texts take their defaults
/// from the mode's default-constructed options (whose BpfOptions defaults are
/// the constants of bpf_session.h) and their limits from the validators'.
void add_capture_flags(CLI::App* run, ObserveOptions& opt, const ObserveOptions& defaults) {
    const std::string durations = durations_text();
    run->add_option("--stack-size", opt.bpf.stack_size,
                    help("bytes of user stack copied per capture, " +
                             byte_range(kMinStackSize, kMaxStackSize),
                         bytes_text(defaults.bpf.stack_size)))
        ->type_name("BYTES")
        ->transform(byte_size(kMinStackSize, kMaxStackSize, false));
    run->add_option("--ringbuf-size", opt.bpf.ringbuf_bytes,
                    help("kernel ring buffer, a power of two from " +
                             byte_range(kMinRingbufBytes, kMaxRingbufBytes) +
                             "; records lost when it is full are counted",
                         bytes_text(defaults.bpf.ringbuf_bytes)))
        ->type_name("BYTES")
        ->transform(byte_size(kMinRingbufBytes, kMaxRingbufBytes, true));
    run->add_flag("--track-wakes", opt.bpf.track_wakes,
                  help("count futex wakes per address, so a parked waiter says whether any wake was "
                       "sent to it and by whom; costs futex-heavy code ~15-20%, traced or not"));
    run->add_option("--max-processes", opt.bpf.max_processes,
                    help("processes followed at once, " + range(kMinMaxProcesses, kMaxMaxProcesses),
                         std::to_string(defaults.bpf.max_processes)))
        ->type_name("N")
        ->check(whole_number(kMinMaxProcesses, kMaxMaxProcesses));
    run->add_option_function<int64_t>(
           "--sample-interval",
           [&opt](int64_t ns) {
               opt.sample_interval =
                   std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(ns));
           },
           help("how often parked threads are sampled to measure how long they were blocked, " +
                    durations,
                duration_text(defaults.sample_interval)))
        ->type_name("DURATION")
        ->transform(duration_ns(kMinDuration, kMaxDuration));
    run->add_flag("-v,--verbose", opt.verbose,
                  help("say what threadleak loads and drops; -vv adds libbpf's debug log (verifier)"));
}

/// The `run` subcommand, writing into `opt`.
CLI::App* add_run_command(CLI::App& app, RunOptions& opt, SuppressionFlags& suppressions, OutputFlags& outputs) {
    const RunOptions defaults;
    const std::string durations = durations_text();
    auto* run = app.add_subcommand("run", "run CMD, report threads it leaked when it exits");
    run->allow_extras();  // unknown flags are reported after parsing, by name
    run->footer(kFooter);
    add_report_flags(run, opt, outputs);
    run->add_option_function<int64_t>(
           "--timeout", [&opt](int64_t ns) { opt.timeout = std::chrono::nanoseconds(ns); },
           help("report every live thread as hung and kill the command after DURATION, " + durations,
                "none"))
        ->type_name("DURATION")
        ->transform(duration_ns(kMinDuration, kMaxDuration));
    run->add_flag("--wait-descendants", opt.wait_descendants,
                  help("when the command exits, wait (up to --timeout) for the processes it started "
                       "instead of reporting those still running as leaked processes and killing them"));
    run->add_flag("--per-test", opt.per_test,
                  help("name the test (GoogleTest, Boost.Test) that created each leaked thread, and "
                       "report threads still alive when their test ended as leaked by that test"));
    run->add_option_function<int64_t>(
           "--settle", [&opt](int64_t ns) { opt.settle = std::chrono::nanoseconds(ns); },
           help("with --per-test: how long after its test a thread may take to end, " + durations,
                duration_text(defaults.settle)))
        ->type_name("DURATION")
        ->transform(duration_ns(kMinDuration, kMaxDuration));
    add_capture_flags(run, opt, defaults);
    add_suppression_flags(run, suppressions);
    run->add_option("command", opt.command, "the command to run, after --")->required();
    run->positionals_at_end();  // `run ls -l`: flags after the command are the command's
    return run;
}

/// "1,2" and repeated -p: every pid. Digits only (strtol would also take
/// " 5" and "+5"); the value is quoted on one line, as every flag's.
std::vector<int> parse_pids(const std::vector<std::string>& values) {
    std::vector<int> out;
    for (const std::string& v : values) {
        size_t start = 0;
        while (start <= v.size()) {
            const size_t end = std::min(v.find(',', start), v.size());
            const std::string one = v.substr(start, end - start);
            long pid = 0;
            const auto [tail, ec] = std::from_chars(one.data(), one.data() + one.size(), pid);
            if (ec != std::errc() || tail != one.data() + one.size() || pid <= 0 || pid > (1L << 22))
                throw UserError(exit_code::kUsage, "-p " + shown(one) + " is not a process id; use -p PID[,PID...]");
            out.push_back(static_cast<int>(pid));
            start = end + 1;
        }
    }
    return out;
}

/// The `attach` subcommand, writing into `opt`.
CLI::App* add_attach_command(CLI::App& app, AttachOptions& opt, SuppressionFlags& suppressions,
                             OutputFlags& outputs) {
    const AttachOptions defaults;
    const std::string durations = durations_text();
    auto* attach = app.add_subcommand("attach", "observe running processes: leaking creation sites, parked threads");
    attach->allow_extras();
    attach->footer(kAttachFooter);
    attach->add_option_function<std::vector<std::string>>(
              "-p,--pid", [&opt](const std::vector<std::string>& v) { opt.pids = parse_pids(v); },
              help("the processes to observe (their threads, and the children they fork from now on); "
                   "repeatable, or a comma list"))
        ->type_name("PID[,PID...]")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    attach->add_flag("--all", opt.all, help("observe every user process on this host"));
    attach->add_option_function<std::string>(
              "--comm", [&opt](const std::string& v) { opt.comm_glob = v; },
              help("with --all: report only processes whose name matches the glob GLOB"))
        ->type_name("GLOB");
    attach->add_option_function<std::string>(
              "--cgroup", [&opt](const std::string& v) { opt.cgroup = v; },
              help("with --all: report only processes in cgroup PATH (v2; absolute or under /sys/fs/cgroup) "
                   "or below it"))
        ->type_name("PATH");
    attach->add_option_function<int64_t>(
              "--duration", [&opt](int64_t ns) { opt.duration = std::chrono::nanoseconds(ns); },
              help("observe for DURATION, report and detach, " + durations, "until Ctrl-C or SIGTERM"))
        ->type_name("DURATION")
        ->transform(duration_ns(kMinDuration, kMaxDuration));
    attach->add_option_function<int64_t>(
              "--interval", [&opt](int64_t ns) { opt.interval = std::chrono::nanoseconds(ns); },
              help("also report every DURATION (a file is rewritten whole each time); each site's series "
                   "gets one point per interval, " + durations,
                   "one report at the end; a point each " + duration_text(AttachOptions::kDefaultPointInterval)))
        ->type_name("DURATION")
        ->transform(duration_ns(kMinDuration, kMaxDuration));
    attach->add_option_function<int64_t>(
              "--threshold", [&opt](int64_t ns) { opt.threshold = std::chrono::nanoseconds(ns); },
              help("a thread in a wait with no timeout, not woken once for this long, is parked, " + durations,
                   duration_text(defaults.threshold)))
        ->type_name("DURATION")
        ->transform(duration_ns(kMinDuration, kMaxDuration));
    attach->add_flag("--baseline", opt.baseline,
                     help("ignore the threads alive at attach: report only what is created from now on"));
    attach->add_option_function<int64_t>(
              "--min-observation",
              [&opt](int64_t ns) { opt.rule.min_observation = std::chrono::nanoseconds(ns); },
              help("no growth verdict before the series spans DURATION (sites are then too early to tell), " +
                       durations,
                   duration_text(defaults.rule.min_observation)))
        ->type_name("DURATION")
        ->transform(duration_ns(kMinDuration, kMaxDuration));
    attach->add_option_function<std::string>(
              "--prometheus", [&opt](const std::string& v) { opt.prometheus = v; },
              help("serve per-site gauges at http://ADDR:PORT/metrics (a loopback ADDR unless "
                   "--prometheus-public)"))
        ->type_name("ADDR:PORT");
    attach->add_flag("--prometheus-public", opt.prometheus_public,
                     help("allow --prometheus on an address other hosts can reach"));
    attach->add_option("--prometheus-sites", opt.prometheus_sites,
                       help("sites per process with their own series; the rest are summed in site=\"other\", "
                                "1 to 1000",
                            std::to_string(defaults.prometheus_sites)))
        ->type_name("N")
        ->check(whole_number(1, 1000));
    add_report_flags(attach, opt, outputs);
    add_capture_flags(attach, opt, defaults);
    add_suppression_flags(attach, suppressions);
    return attach;
}

/// What the flags of attach say together.
void check_attach_options(const AttachOptions& opt) {
    if (opt.all && !opt.pids.empty()) throw usage("-p and --all exclude each other; use one");
    if (!opt.all && opt.pids.empty())
        throw usage("attach needs -p PID or --all; use: threadleak attach -p PID (see threadleak attach --help)");
    if ((opt.comm_glob || opt.cgroup) && !opt.all)
        throw usage("--comm and --cgroup choose among --all's processes; add --all, or use -p PID");
    if (opt.prometheus_public && !opt.prometheus) throw usage("--prometheus-public needs --prometheus ADDR:PORT");
    if (opt.prometheus) check_prometheus_address(*opt.prometheus, opt.prometheus_public);
}

/// The first argument `app` did not recognize. CLI11 keeps the "--" that
/// ends the flags among them; it is not one.
std::optional<std::string> first_unknown(const CLI::App& app) {
    for (const std::string& arg : app.remaining())
        if (arg != "--") return arg;
    return std::nullopt;
}

/// The one-line message for a CLI11 parse error. CLI11 spells a failed
/// validator "NAME: TEXT", and flag_values.h's texts continue a sentence
/// that starts with the flag's name.
std::string parse_error_message(const CLI::ParseError& e, const CLI::App& run, const RunOptions& opt) {
    const std::string what = e.what();
    const std::string name = what.substr(0, what.find(':'));
    if (dynamic_cast<const CLI::ValidationError*>(&e) && what.size() > name.size() + 2)
        return name + " " + what.substr(name.size() + 2);
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&e))
        return name + " needs a value; see threadleak " + run.get_name() + " --help";
    if (dynamic_cast<const CLI::RequiredError*>(&e) && run.get_name() == "run" && run.parsed() && opt.command.empty())
        return "run needs a command; use: threadleak run [OPTIONS] -- CMD (see threadleak run --help)";
    return what + "; see threadleak --help";
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& args) {
    CLI::App app{"threadleak: find leaked threads in unmodified Linux processes with eBPF", "threadleak"};
    app.footer(kFooter);
    app.set_version_flag("--version", std::string("threadleak ") + threadleak_version());
    // A repeated flag takes its last value, as in most Unix tools.
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app.require_subcommand(0, 1);  // a missing or unknown one is reported after parsing, by name
    app.allow_extras();

    CommandLine result;
    SuppressionFlags suppressions;
    OutputFlags outputs;
    CLI::App* run = add_run_command(app, result.run, suppressions, outputs);
    SuppressionFlags attach_suppressions;
    OutputFlags attach_outputs;
    CLI::App* attach = add_attach_command(app, result.attach, attach_suppressions, attach_outputs);
    try {
        app.parse(std::vector<std::string>(args.rbegin(), args.rend()));  // CLI11 takes them reversed
    } catch (const CLI::CallForHelp&) {
        result.action = CommandLine::Action::kPrintHelp;
        result.text = app.help();  // the subcommand's help after `run --help`
        return result;
    } catch (const CLI::CallForVersion& e) {
        result.action = CommandLine::Action::kPrintVersion;
        result.text = std::string(e.what()) + "\n";
        return result;
    } catch (const CLI::RequiredError& e) {
        // --print-suppressions needs no command; CLI11 has run every option's
        // callback before it checks what is required.
        if (attach->parsed()) throw usage(parse_error_message(e, *attach, result.run));
        if (!(suppressions.print && result.run.command.empty()))
            throw usage(parse_error_message(e, *run, result.run));
    } catch (const CLI::ParseError& e) {
        throw usage(parse_error_message(e, attach->parsed() ? *attach : *run, result.run));
    }

    if (auto word = first_unknown(app)) {
        if (word->starts_with("-")) throw usage("unknown flag '" + *word + "'; see threadleak --help");
        throw usage("unknown subcommand '" + *word + "'; " + kRunUsage);
    }
    if (!run->parsed() && !attach->parsed()) throw usage(std::string("missing subcommand; ") + kRunUsage);
    const bool attaching = attach->parsed();
    CLI::App* mode = attaching ? attach : run;
    if (auto flag = first_unknown(*mode))
        throw usage("unknown flag '" + *flag + "'; see threadleak " + mode->get_name() + " --help");
    ObserveOptions& observe = attaching ? static_cast<ObserveOptions&>(result.attach) : result.run;
    SuppressionFlags& supp = attaching ? attach_suppressions : suppressions;
    observe.suppressions = std::move(supp.flag_rules);
    for (const std::string& file : supp.files)
        for (SuppressionRule& rule : read_suppressions_file(file)) observe.suppressions.push_back(std::move(rule));
    if (!supp.no_defaults)
        for (const SuppressionRule& rule : default_suppressions()) observe.suppressions.push_back(rule);
    if (supp.print) {
        result.action = CommandLine::Action::kPrintSuppressions;
        result.text = suppressions_text(observe.suppressions);
        return result;
    }
    observe.outputs = output_specs(attaching ? attach_outputs : outputs);
    for (const OutputSpec& out : observe.outputs)
        for (const FormatInfo& f : report_formats())
            if (f.binary && f.name == out.format && out.path.empty())
                throw usage("--format " + out.format + " writes a binary file, not text for stderr: add --output "
                            "FILE (e.g. -o leaks." + std::string(f.extension) + ")");
    const uint32_t min_ring = min_ringbuf_bytes(observe.bpf.stack_size);
    if (observe.bpf.ringbuf_bytes < min_ring)
        throw usage("--ringbuf-size " + bytes_text(observe.bpf.ringbuf_bytes) +
                    " cannot hold four of the largest records (stack copies of --stack-size " +
                    bytes_text(observe.bpf.stack_size) + "); use at least " + bytes_text(min_ring));
    observe.bpf.verbose = observe.verbose;
    if (attaching) {
        check_attach_options(result.attach);
        result.action = CommandLine::Action::kAttach;
    }
    return result;
}

}  // namespace threadleak
