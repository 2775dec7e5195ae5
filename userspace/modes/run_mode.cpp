// `threadleak run`: start the command traced, observe it to its exit (or the
// --timeout), build the report, write it, pick the exit code.
#include "modes/run_mode.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "analyze/leak_resolver.h"
#include "analyze/report_pipeline.h"
#include "analyze/test_attribution.h"
#include "capture/libc_paths.h"
#include "capture/pipe_holders.h"
#include "capture/trace_events.h"
#include "common/version.h"
#include "common/wait_status.h"
#include "formats/report_outputs.h"
#include "modes/child_process.h"
#include "modes/descendants.h"
#include "modes/go_programs.h"
#include "modes/hung_capture.h"
#include "modes/signal_forwarding.h"
#include "modes/test_settle.h"
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
    h.futex_waits_not_kept = session.futex_waits_not_kept();
    h.malformed_records = malformed;
    h.unreadable_maps = tracker.unreadable_maps();
}

/// --per-test: a probe at each test's beginning and end in `exe` (and its
/// libraries); without one, tests are named from creation stacks only.
void attach_test_probes(BpfSession& session, const std::vector<TestProbeSite>& sites, const std::string& exe,
                        int verbose) {
    const size_t attached = session.attach_test_probes(sites);
    if (attached == 0)
        fprintf(stderr,
                "threadleak: warning: --per-test: no GoogleTest or Boost.Test test runner found in %s or its "
                "libraries (symbols stripped, or another framework): leaks are named after the test "
                "function in their creation stack, and threads that outlive a test are reported only if "
                "they are still alive at exit\n",
                exe.c_str());
    else if (verbose)
        fprintf(stderr, "threadleak: --per-test: %zu test probe sites (%s in %s ...)\n", attached,
                sites.front().function.c_str(), sites.front().file.c_str());
}

/// "123456 kB": threadleak's own peak resident set (VmHWM), not its children's
/// (wait4's ru_maxrss counts the traced command's too).
std::string own_peak_rss() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmHWM:", 0) == 0) return line.substr(line.find_first_not_of(" \t", 6));
    return "unknown";
}

}  // namespace

int run_mode(const RunOptions& opt) {
    std::string exe = resolve_command(opt.command.at(0));
    ReportOutputs outputs(opt.outputs, opt.format_options);
    check_bpf_prerequisites();

    ThreadTracker tracker(open_process_image);
    uint64_t malformed = 0;
    TestProbes test_probes;
    if (opt.per_test) test_probes = find_test_probe_sites(exe);
    BoostCaseNames boost_cases(test_probes.boost_cases);
    std::optional<GoPrograms> go;  // made once the session is: it attaches probes to it
    BpfSession session(opt.bpf, [&](std::span<const uint8_t> record) {
        std::string error;
        if (auto event = decode_event(record, &error)) {
            if (auto* exec = std::get_if<ExecEvent>(&*event)) go->watch(exec->pid);
            if (auto* exit = std::get_if<GoExitEvent>(&*event)) go->on_exit(*exit);
            // Boost.Test's probe sees what it runs: a case's invoker names the case.
            if (auto* test = std::get_if<TestEvent>(&*event);
                test && test->begin && test->probe_kind == TL_TEST_PROBE_BOOST) {
                test->name = boost_cases.name(test->pid, test->function);
                test->is_test = test->name.has_value();
            }
            tracker.on_event(std::move(*event));
        } else {
            malformed++;
            if (opt.verbose) fprintf(stderr, "threadleak: dropped a record: %s\n", error.c_str());
        }
    });

    // A Go test binary's tests are named from its goroutines' go statements.
    if (opt.per_test && !is_go_binary(exe)) attach_test_probes(session, test_probes.sites, exe, opt.verbose);
    session.attach_timer_probes(libc_paths({}));  // the host's C library: the command's, most likely
    go.emplace(session, opt.verbose);
    go->probe_executable(exe);  // before it runs: even a program that exits at once is read

    SignalForwarding forwarding;
    ChildProcess child(opt.command);
    forwarding.forward_to(child.pid());
    session.trace_process(child.pid());
    tracker.add_root_process(child.pid(), getpid(), exe);
    // A first sample reads every CPU's runqueue clocks before the command runs,
    // so even a thread that parks at once sleeps between two readings of its
    // CPU: its blocked_for is then exact, not a lower bound.
    session.sample_sleepers();
    const auto started_wall = std::chrono::system_clock::now();
    const auto started = TraceLoop::Clock::now();
    child.release();

    Health health;
    TestSettle settle(tracker, session, opt.settle, opt.bpf.stack_size, health);
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
    // Go programs are read once a second while they run (never stopped): a
    // goroutine found in the same wait at exit has waited at least since then.
    // The first read soon after start: a goroutine that parks early is then seen early.
    auto next_go_read = TraceLoop::Clock::now() + std::chrono::milliseconds(300);
    auto done = [&] {
        kill_all_on_second_signal();
        if (opt.per_test) settle.poll();
        if (const auto now = TraceLoop::Clock::now(); now >= next_go_read) {
            go->snapshot_watched(nullptr);
            next_go_read = now + std::chrono::seconds(1);
        }
        if (!child.poll_exit()) return false;
        if (!opt.wait_descendants || forwarding.received()) return true;
        forwarding.forward_to(0);  // reaped: its pgid may be reused by anyone
        session.drain();
        return running_traced(tracker, session).empty();
    };
    const bool timed_out = loop.run(done, deadline) == TraceLoop::Outcome::DeadlinePassed;
    const auto traced_for = TraceLoop::Clock::now() - started;
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
        for (int pid : running_traced(tracker, session)) go->read_hung(pid);  // stopped: read as they are
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
    info.wakes_tracked = session.tracks_wakes();
    info.threadleak_version = threadleak_version();
    info.start_unix_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(started_wall.time_since_epoch()).count();
    info.duration_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(traced_for).count();
    add_kernel_counts(health, session, tracker, malformed);

    // Symbolizing many stacks can take a while: a signal now says so, and a
    // second one stops it (the leaks are still listed, without stacks).
    forwarding.enter_report_phase("threadleak: symbolizing " +
                                  std::to_string(stack_count(tracker.leaks())) +
                                  " stacks; Ctrl-C again to stop and report without them\n");
    ReportOptions report_options{opt.suppressions, [&] { return forwarding.stop_requested(); }, opt.per_test};
    report_options.pipe_holders = pipe_holders;
    health.goroutines_unread = go->unread();
    std::vector<LeakedThread> goroutines = go->take_leaks();
    if (opt.per_test)
        for (LeakedThread& t : goroutines) t.test = go_test_from_frames(t.created_by);
    Report report = build_report(tracker, std::move(info), health, report_options, std::move(goroutines), {});
    if (opt.verbose)
        fprintf(stderr,
                "threadleak: %llu records dropped (ring buffer full), %llu processes not followed "
                "(map full), %llu malformed, %llu stack copies failed, %llu maps unreadable\n",
                static_cast<unsigned long long>(health.ringbuf_drops),
                static_cast<unsigned long long>(health.traced_map_full),
                static_cast<unsigned long long>(health.malformed_records),
                static_cast<unsigned long long>(health.stack_copy_failures),
                static_cast<unsigned long long>(health.unreadable_maps));
    outputs.write(report);
    if (opt.verbose) fprintf(stderr, "threadleak: own peak RSS %s\n", own_peak_rss().c_str());

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
