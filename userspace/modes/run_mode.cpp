// `threadleak run`: start the command traced, observe it to its exit (or the
// --timeout), build the report, write it, pick the exit code.
#include "modes/run_mode.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <vector>

#include "analyze/leak_resolver.h"
#include "analyze/report_pipeline.h"
#include "capture/trace_events.h"
#include "common/wait_status.h"
#include "formats/output_file.h"
#include "formats/report_format.h"
#include "modes/child_process.h"
#include "modes/descendants.h"
#include "modes/hung_capture.h"
#include "modes/signal_forwarding.h"
#include "modes/trace_loop.h"
#include "stacks/process_image_factory.h"
#include "track/thread_tracker.h"

namespace threadleak {
namespace {

/// Sends `sig` to the command's process group and to every traced process
/// still alive: a descendant that left the group (setsid) is traced all the same.
void signal_everything(const ThreadTracker& tracker, const BpfSession& session, const ChildProcess& child,
                       int sig) {
    // Once the command is reaped its pgid may be anyone's (--wait-descendants).
    if (!child.exited()) child.signal_group(sig);
    signal_traced(running_traced(tracker, session), session, sig);
}

/// Adds what the kernel side and the tracker counted to `h` (which holds what the mode counted).
void add_kernel_counts(Health& h, const BpfSession& session, const ThreadTracker& tracker, uint64_t malformed) {
    h.ringbuf_drops = session.ringbuf_drops();
    h.traced_map_full = session.traced_map_full();
    h.stack_copy_failures = session.stack_copy_failures();
    h.malformed_records = malformed;
    h.unreadable_maps = tracker.unreadable_maps();
}

}  // namespace

int run_mode(const RunOptions& opt) {
    auto format = make_report_format(opt.format, opt.format_options);
    // The options module accepts only registered names (cli/options.cpp).
    if (!format) throw std::logic_error("--format " + opt.format + " passed the option check but has no maker");
    std::string exe = resolve_command(opt.command.at(0));
    OutputFile output(opt.output);
    check_bpf_prerequisites();

    ThreadTracker tracker(open_process_image);
    uint64_t malformed = 0;
    BpfSession session(opt.bpf, [&](std::span<const uint8_t> record) {
        std::string error;
        if (auto event = decode_event(record, &error)) {
            tracker.on_event(std::move(*event));
        } else {
            malformed++;
            if (opt.verbose) fprintf(stderr, "threadleak: dropped a record: %s\n", error.c_str());
        }
    });

    SignalForwarding forwarding;
    ChildProcess child(opt.command);
    forwarding.forward_to(child.pid());
    session.trace_process(child.pid());
    tracker.add_root_process(child.pid(), getpid(), exe);
    // A first sample reads every CPU's runqueue clocks before the command runs,
    // so even a thread that parks at once sleeps between two readings of its
    // CPU: its blocked_for is then exact, not a lower bound.
    session.sample_sleepers();
    child.release();

    Health health;
    TraceLoop loop(session, opt.sample_interval);
    std::optional<TraceLoop::Clock::time_point> deadline;
    if (opt.timeout) deadline = TraceLoop::Clock::now() + *opt.timeout;
    // A second Ctrl-C killed the command's group (the handler can only reach
    // that); descendants that left it (setsid) go too.
    bool killed_everything = false;
    const auto kill_all_on_second_signal = [&] {
        if (forwarding.forwarded_count() >= 2 && !killed_everything) {
            signal_everything(tracker, session, child, SIGKILL);
            killed_everything = true;
        }
    };
    // Done when the command has exited, and with --wait-descendants when
    // everything it started has too (drained first: a process it forked
    // just before exiting must be known), or when Ctrl-C or SIGTERM came:
    // what still runs is then reported and killed like without the flag.
    auto done = [&] {
        kill_all_on_second_signal();
        if (!child.poll_exit()) return false;
        if (!opt.wait_descendants || forwarding.received()) return true;
        forwarding.forward_to(0);  // reaped: its pgid may be reused by anyone
        session.drain();
        return running_traced(tracker, session).empty();
    };
    const bool timed_out = loop.run(done, deadline) == TraceLoop::Outcome::DeadlinePassed;
    if (!timed_out) {
        // What the command started and did not wait for is a leak too; it is
        // then ended, so that nothing it started outlives threadleak.
        session.drain();
        const std::vector<int> left = running_traced(tracker, session);
        if (!left.empty()) {
            capture_leaked_processes(tracker, session, left, opt.bpf.stack_size, health);
            tracker.stop_judging_exits();
            kill_running_traced(tracker, session);
        }
    } else {
        capture_hung_threads(tracker, session, [&] { signal_everything(tracker, session, child, SIGSTOP); },
                             opt.bpf.stack_size, health);
        tracker.stop_judging_exits();
        child.signal_group(SIGKILL);
        kill_running_traced(tracker, session);  // also those that left the group
        child.wait_exit();
    }
    forwarding.forward_to(0);  // reaped: its pgid may be reused by anyone
    child.take_back_terminal();
    // The kernel queued every exit record before waitpid() could return.
    session.drain();

    const int status = child.wait_status();
    SessionInfo info;
    info.mode = Mode::Run;
    info.command = opt.command;
    if (WIFEXITED(status)) info.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) info.signal = signal_name(WTERMSIG(status));
    info.timed_out = timed_out;
    add_kernel_counts(health, session, tracker, malformed);

    // Symbolizing many stacks can take a while: a signal now says so, and a
    // second one stops it (the leaks are still listed, without stacks).
    forwarding.enter_report_phase("threadleak: symbolizing " +
                                  std::to_string(stack_count(tracker.leaks())) +
                                  " stacks; Ctrl-C again to stop and report without them\n");
    Report report = build_report(tracker, std::move(info), health, opt.suppressions,
                                 [&] { return forwarding.stop_requested(); });
    if (opt.verbose)
        fprintf(stderr,
                "threadleak: %llu records dropped (ring buffer full), %llu processes not followed "
                "(map full), %llu malformed, %llu stack copies failed, %llu maps unreadable\n",
                static_cast<unsigned long long>(health.ringbuf_drops),
                static_cast<unsigned long long>(health.traced_map_full),
                static_cast<unsigned long long>(health.malformed_records),
                static_cast<unsigned long long>(health.stack_copy_failures),
                static_cast<unsigned long long>(health.unreadable_maps));
    format->write(report, output.stream());
    output.finish();

    if (timed_out) return exit_code::kTimedOut;
    // The user stopped us: say so like a shell would, whatever was found.
    if (report.health.stacks_not_symbolized > 0) return 128 + forwarding.received();
    // The command's own failure is never hidden by ours: only a command that
    // succeeded gets --error-exitcode for its leaks.
    const int command_code = shell_exit_code(status).value_or(exit_code::kInternal);
    if (command_code != 0) return command_code;
    if (report.has_leaks()) return opt.error_exitcode;
    // A lossy run that found nothing is not a clean run: the lost records may
    // have been the leaks.
    return report.health.lost_events() > 0 ? exit_code::kIncomplete : 0;
}

}  // namespace threadleak
