// threadleak command line: parses flags, runs a mode, maps errors to exit codes.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "common/duration.h"
#include "common/errors.h"
#include "modes/run_mode.h"

using namespace threadleak;

namespace {

std::chrono::nanoseconds duration_flag(const std::string& flag, const std::string& value) {
    auto d = parse_duration(value);
    if (!d || d->count() <= 0)
        throw UserError(exit_code::kUsage, "bad " + flag + " value '" + value +
                                               "': use a positive duration like 500ms, 30s, 5m or 1h");
    return *d;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"threadleak: find leaked threads in unmodified Linux processes with eBPF"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "threadleak " THREADLEAK_VERSION);
    app.footer(
        "EXAMPLES:\n"
        "  sudo threadleak run -- ./my_tests --gtest_filter=Foo.*\n"
        "  sudo threadleak run --format json --output leaks.json -- ./server --selftest\n"
        "  sudo threadleak run --timeout 30s -- ./maybe_hangs\n");

    RunOptions run;
    std::string timeout, sample_interval = "20ms";
    auto* run_cmd = app.add_subcommand("run", "run CMD, report threads it leaked when it exits");
    run_cmd->add_option("--format", run.format, "report format: text (default) or json");
    run_cmd->add_option("-o,--output", run.output, "write the report to FILE instead of stderr");
    run_cmd->add_option("--error-exitcode", run.error_exitcode, "exit code when leaks are found (default 66)");
    run_cmd->add_option("--timeout", timeout,
                        "report every live thread and kill the command if it runs longer (e.g. 30s)");
    run_cmd->add_option("--stack-size", run.bpf.stack_size,
                        "bytes of user stack copied per capture (default 16384, max 32768)");
    run_cmd->add_option("--ringbuf-size", run.bpf.ringbuf_bytes,
                        "kernel ring buffer bytes, a power of two (default 32 MiB)");
    run_cmd->add_option("--max-processes", run.bpf.max_processes,
                        "most processes followed at once (default 4096)");
    run_cmd->add_option("--sample-interval", sample_interval,
                        "how often parked threads are sampled to measure blocked time (default 20ms)");
    run_cmd->add_flag("-v,--verbose", run.verbose,
                      "say what threadleak does; -vv adds libbpf's debug log (verifier)");
    run_cmd->add_option("command", run.command, "the command to run, after --")->required();
    run_cmd->positionals_at_end();

    try {
        try {
            app.parse(argc, argv);
        } catch (const CLI::CallForHelp& e) {
            return app.exit(e);
        } catch (const CLI::CallForAllHelp& e) {
            return app.exit(e);
        } catch (const CLI::CallForVersion& e) {
            return app.exit(e);
        } catch (const CLI::ParseError& e) {
            throw UserError(exit_code::kUsage, std::string(e.what()) + "; see threadleak run --help");
        }
        if (run_cmd->parsed()) {
            if (!timeout.empty()) run.timeout = duration_flag("--timeout", timeout);
            run.sample_interval = std::chrono::duration_cast<std::chrono::milliseconds>(
                duration_flag("--sample-interval", sample_interval));
            if (run.bpf.stack_size < 512 || run.bpf.stack_size > 32768)
                throw UserError(exit_code::kUsage, "--stack-size must be between 512 and 32768 bytes");
            if (run.bpf.ringbuf_bytes < 4096 || run.bpf.ringbuf_bytes > (1u << 30) ||
                (run.bpf.ringbuf_bytes & (run.bpf.ringbuf_bytes - 1)))
                throw UserError(exit_code::kUsage, "--ringbuf-size must be a power of two from 4096 to 1073741824");
            if (run.error_exitcode < 0 || run.error_exitcode > 255)
                throw UserError(exit_code::kUsage, "--error-exitcode must be between 0 and 255");
            if (run.bpf.max_processes < 1 || run.bpf.max_processes > (1u << 22))
                throw UserError(exit_code::kUsage, "--max-processes must be between 1 and 4194304");
            if (run.sample_interval.count() < 1)
                throw UserError(exit_code::kUsage, "--sample-interval must be at least 1ms");
            run.bpf.verbose = run.verbose;
            return run_mode(run);
        }
    } catch (const UserError& e) {
        fprintf(stderr, "threadleak: error: %s\n", e.what());
        return e.exit_code();
    } catch (const std::exception& e) {
        fprintf(stderr, "threadleak: internal error: %s\n", e.what());
        return exit_code::kInternal;
    }
    return exit_code::kUsage;
}
