#include "modes/run_mode.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "modes/child_process.h"
#include "common/errors.h"
#include "capture/live_snapshot.h"
#include "formats/output_file.h"
#include "analyze/report_builder.h"
#include "formats/report_format.h"
#include "track/thread_tracker.h"

namespace threadleak {
namespace {

using Clock = std::chrono::steady_clock;

volatile sig_atomic_t g_child_pgid = 0;
volatile sig_atomic_t g_interrupted = 0;

/// Ctrl-C / SIGTERM go to the command; threadleak keeps tracing until it exits
/// and still writes the report. A second one kills the command's group: a
/// command that ignores signals cannot keep threadleak waiting.
void forward_signal(int sig) {
    const bool again = g_interrupted != 0;
    g_interrupted = sig;
    if (g_child_pgid > 0) kill(-g_child_pgid, again ? SIGKILL : sig);
}

class SignalForwarding {
public:
    SignalForwarding() {
        // An inherited SIG_IGN would let the kernel reap the command behind our back.
        signal(SIGCHLD, SIG_DFL);
        struct sigaction sa {};
        sa.sa_handler = forward_signal;
        sigemptyset(&sa.sa_mask);
        for (int i = 0; i < kCount; i++) sigaction(kSignals[i], &sa, &old_[i]);
    }
    ~SignalForwarding() {
        for (int i = 0; i < kCount; i++) sigaction(kSignals[i], &old_[i], nullptr);
        g_child_pgid = 0;
    }

private:
    static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    static constexpr int kCount = 4;
    struct sigaction old_[kCount];
};

/// Binaries are opened through the process's root (other mount namespaces);
/// the O_PATH fd keeps that root reachable after the process is gone.
std::shared_ptr<ProcessImage> make_image(int pid) {
    std::string proc_root = "/proc/" + std::to_string(pid) + "/root";
    int fd = open(proc_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return std::make_shared<ProcessImage>(pid, "");
    return std::shared_ptr<ProcessImage>(new ProcessImage(pid, "/proc/self/fd/" + std::to_string(fd)),
                                         [fd](ProcessImage* p) {
                                             delete p;
                                             close(fd);
                                         });
}

/// Rereads the threads that were on a CPU (no saved registers) once stopped.
void reread_running_threads(int pid, std::vector<LiveThread>& threads, size_t stack_size) {
    for (auto& t : threads) {
        if (t.has_registers) continue;
        for (int attempt = 0; attempt < 100; attempt++) {
            auto again = snapshot_thread(pid, t.tid, stack_size);
            if (!again) break;
            if (again->has_registers) {
                again->state = 'R';  // it was running before the stop
                t = std::move(*again);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }
}

/// --timeout expired: every live thread is reported as hung, with its stacks.
/// All blocked threads are read first, undisturbed; threads that were on a CPU
/// have no saved registers, so the command's group (about to be killed anyway)
/// is then stopped and those are read again.
void capture_hung_threads(ThreadTracker& tracker, const ChildProcess& child, size_t stack_size) {
    std::vector<std::pair<int, std::vector<LiveThread>>> snapshots;
    bool any_running = false;
    for (int pid : tracker.live_pids()) {
        auto image = tracker.image(pid);
        if (!image) continue;
        image->load_proc_maps();
        snapshots.emplace_back(pid, snapshot_live_threads(pid, stack_size));
        for (const auto& t : snapshots.back().second) any_running |= !t.has_registers;
    }
    if (any_running) {
        child.signal_group(SIGSTOP);
        for (auto& [pid, threads] : snapshots) reread_running_threads(pid, threads, stack_size);
    }
    for (auto& [pid, threads] : snapshots) {
        auto image = tracker.image(pid);
        for (LiveThread& t : threads) {
            PendingLeak leak;
            leak.kind = LeakKind::Hung;
            leak.pid = pid;
            leak.exe = tracker.exe(pid);
            leak.tid = t.tid;
            leak.thread_name = t.comm;
            if (auto c = tracker.creation_of(pid, t.tid)) {
                leak.creator_tid = c->first;
                leak.creation = c->second;
            }
            leak.at_exit = PendingStack{std::move(t.stack), image};
            leak.blocked_for_ns = t.blocked_for_ns;
            tracker.add_leak(std::move(leak));
        }
    }
}

int command_exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return exit_code::kInternal;
}

}  // namespace

int run_mode(const RunOptions& opt) {
    auto format = make_report_format(opt.format);
    if (!format) throw UserError(exit_code::kUsage, "unknown --format " + opt.format + "; use text or json");
    std::string exe = resolve_command(opt.command.at(0));
    OutputFile output(opt.output);
    check_bpf_prerequisites();

    ThreadTracker tracker(make_image);
    uint64_t bad_records = 0;
    BpfSession session(opt.bpf, [&](std::span<const uint8_t> record) {
        std::string error;
        if (auto event = decode_event(record, &error)) {
            tracker.on_event(std::move(*event));
        } else {
            bad_records++;
            if (opt.verbose) fprintf(stderr, "threadleak: dropped a record: %s\n", error.c_str());
        }
    });

    SignalForwarding forwarding;
    ChildProcess child(opt.command);
    g_child_pgid = child.pid();
    if (g_interrupted) child.signal_group(g_interrupted);  // arrived before the pgid was known
    session.trace_process(child.pid());
    tracker.add_root_process(child.pid(), getpid(), exe);
    child.release();

    const auto start = Clock::now();
    auto next_sample = start;
    bool timed_out = false;
    while (!child.poll_exit()) {
        session.drain();
        auto now = Clock::now();
        if (now >= next_sample) {
            session.sample_sleepers();
            next_sample = now + opt.sample_interval;
        }
        if (opt.timeout && now - start >= *opt.timeout) {
            timed_out = true;
            session.drain();
            capture_hung_threads(tracker, child, opt.bpf.stack_size);
            tracker.stop_judging_exits();
            child.signal_group(SIGKILL);
            child.wait_exit();
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    g_child_pgid = 0;  // reaped: its pgid may be reused by anyone
    child.take_back_terminal();
    // The kernel queued every exit record before waitpid() could return.
    session.drain();

    Report report = build_report(tracker, opt.command);
    int status = child.wait_status();
    if (WIFEXITED(status)) report.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) report.signal = signal_name(WTERMSIG(status));
    report.timed_out = timed_out;
    report.lost_events = session.lost_events() + bad_records;
    if (opt.verbose)
        fprintf(stderr, "threadleak: %llu records lost, %llu malformed, %llu stack copies failed\n",
                static_cast<unsigned long long>(session.lost_events()),
                static_cast<unsigned long long>(bad_records),
                static_cast<unsigned long long>(session.stack_copy_failures()));
    format->write(report, output.stream());
    output.finish();

    if (timed_out) return exit_code::kTimedOut;
    if (!report.leaks.empty()) return opt.error_exitcode;
    return command_exit_code(status);
}

}  // namespace threadleak
