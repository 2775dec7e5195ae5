// `threadleak attach`: trace running processes from now on (their new threads,
// exits and children), list the threads they already have, and every interval
// count each creation site's alive and parked threads. Reports are built like
// run's, plus the parked threads read from /proc at that moment and the sites
// with their growth verdicts. The targets are never stopped or ptraced.
#include "modes/attach_mode.h"

#include "common/monotonic_clock.h"


#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "analyze/report_pipeline.h"
#include "analyze/site_census.h"
#include "capture/libc_paths.h"
#include "capture/pipe_holders.h"
#include "capture/trace_events.h"
#include "common/duration.h"
#include "common/version.h"
#include "formats/report_outputs.h"
#include "formats/text_escape.h"
#include "modes/attach_targets.h"
#include "modes/go_programs.h"
#include "modes/metrics_endpoint.h"
#include "modes/parked_reader.h"
#include "modes/parked_scan.h"
#include "modes/signal_forwarding.h"
#include "modes/trace_loop.h"
#include "stacks/process_image_factory.h"
#include "track/thread_tracker.h"

namespace threadleak {
namespace {

/// `--all` follows every process of the host: the map must hold them.
constexpr uint32_t kAllMaxProcesses = 65536;


int64_t unix_ns_now() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// Everything one attach observes, fed by the record handler.
class Observation {
public:
    Observation(const AttachOptions& opt, uint64_t start_ns)
        : opt_(opt), tracker_(open_process_image), census_(opt.rule, start_ns),
          filter_(opt.comm_glob, opt.cgroup) {}

    ThreadTracker& tracker() { return tracker_; }
    /// Go programs: exec'd ones are followed, exits read (set once the session is up).
    void follow_go(GoPrograms* go) { go_ = go; }
    SiteCensus& census() { return census_; }
    uint64_t malformed() const { return malformed_; }

    void on_record(std::span<const uint8_t> record) {
        std::string error;
        auto event = decode_event(record, &error);
        if (!event) {
            malformed_++;
            if (opt_.verbose) fprintf(stderr, "threadleak: dropped a record: %s\n", error.c_str());
            return;
        }
        if (go_) {
            if (const auto* e = std::get_if<ExecEvent>(&*event)) go_->watch(e->pid);
            if (const auto* x = std::get_if<GoExitEvent>(&*event)) go_->on_exit(*x);
        }
        // The census reads the creation stack before the tracker takes it.
        if (const auto* c = std::get_if<ThreadCreateEvent>(&*event))
            census_.thread_created(c->pid, c->tid, c->time_ns, c->creator_stack, tracker_.image(c->pid).get());
        else if (const auto* x = std::get_if<ThreadExitEvent>(&*event))
            census_.thread_exited(x->pid, x->tid, x->time_ns);
        int named = 0;
        if (const auto* f = std::get_if<ProcessForkEvent>(&*event)) named = f->pid;
        if (const auto* e = std::get_if<ExecEvent>(&*event)) named = e->pid;
        tracker_.on_event(std::move(*event));
        if (named)
            for (const ProcessInfo& p : tracker_.processes())
                if (p.pid == named) census_.name_process(p.pid, p.comm, p.exe);
    }

    /// True if `pid`'s findings go in the report (--comm / --cgroup).
    bool reported(int pid, const std::map<int, std::string>& comms) {
        if (!filter_.active()) return true;
        auto it = comms.find(pid);
        return filter_.matches(pid, it == comms.end() ? "" : it->second);
    }

private:
    const AttachOptions& opt_;
    ThreadTracker tracker_;
    SiteCensus census_;
    ProcessFilter filter_;
    uint64_t malformed_ = 0;
    GoPrograms* go_ = nullptr;
};

std::string observed_for_text(const AttachOptions& opt) {
    if (opt.duration) return "for " + duration_text(*opt.duration);
    return "until Ctrl-C";
}

}  // namespace

int attach_mode(const AttachOptions& opt) {
    ReportOutputs outputs(opt.outputs, opt.format_options);
    check_bpf_prerequisites();
    // Bound before anything is traced: a busy port fails at once.
    std::unique_ptr<MetricsEndpoint> metrics;
    if (opt.prometheus)
        metrics = std::make_unique<MetricsEndpoint>(*opt.prometheus, opt.prometheus_public, opt.prometheus_sites);
    const std::vector<AttachTarget> targets = opt.all ? all_processes() : resolve_pids(opt.pids);

    BpfOptions bpf = opt.bpf;
    if (opt.all && bpf.max_processes == kDefaultMaxProcesses) bpf.max_processes = kAllMaxProcesses;
    const uint64_t start_ns = monotonic_ns();
    const int64_t start_unix = unix_ns_now();
    Observation obs(opt, start_ns);
    BpfSession session(bpf, [&](std::span<const uint8_t> record) { obs.on_record(record); });
    SignalForwarding signals;  // forwards nowhere: the targets are not ours to signal

    ThreadTracker& tracker = obs.tracker();
    std::vector<int> pids;
    for (const AttachTarget& t : targets) pids.push_back(t.pid);
    session.attach_timer_probes(libc_paths(pids));
    GoPrograms go(session, opt.verbose);
    go.set_threshold(opt.threshold);
    obs.follow_go(&go);
    for (const AttachTarget& t : targets) {
        go.watch(t.pid);
        session.trace_process(t.pid);
        tracker.add_attached_process(t.pid, t.ppid, t.exe, t.comm);
        obs.census().name_process(t.pid, t.comm, t.exe);
    }
    // A first sample: every thread asleep now gets the start of its sleep,
    // from when it last ran (so one parked long before attach is seen at once).
    session.sample_sleepers();
    std::vector<int> attached;
    size_t thread_count = 0;
    for (const AttachTarget& t : targets) {
        const std::vector<ExistingThread> threads = existing_threads(t.pid);
        if (threads.empty()) continue;  // exited while attaching
        attached.push_back(t.pid);
        thread_count += threads.size();
        for (const ExistingThread& th : threads) {
            tracker.add_existing_thread(t.pid, th.tid, th.start_unix_ns, opt.baseline);
            // A main thread is nobody's to join: no site's.
            if (!opt.baseline && th.tid != t.pid) obs.census().thread_existed(t.pid, th.tid);
        }
    }
    if (attached.empty()) {
        if (opt.all) throw UserError(exit_code::kNoSuchProcess, "--all: no user process to attach to");
        throw UserError(exit_code::kNoSuchProcess,
                        "-p " + std::to_string(targets.front().pid) +
                            ": the process exited while threadleak attached to it");
    }
    if (metrics) fprintf(stderr, "threadleak: serving %s\n", metrics->url().c_str());
    if (attached.size() == 1)
        fprintf(stderr, "threadleak: attached to pid %d (%s), %zu threads; observing %s\n", attached[0],
                escape_text(targets.front().comm).c_str(), thread_count, observed_for_text(opt).c_str());
    else
        fprintf(stderr, "threadleak: attached to %zu processes, %zu threads; observing %s\n", attached.size(),
                thread_count, observed_for_text(opt).c_str());

    Health health;
    ParkedScan parked(opt.threshold);
    ParkedReader parked_reader;
    const auto point_every = opt.interval.value_or(AttachOptions::kDefaultPointInterval);
    const auto started = TraceLoop::Clock::now();
    auto next_point = started + point_every;
    auto next_report = started + opt.interval.value_or(std::chrono::nanoseconds::max() / 4);

    const auto kernel_health = [&] {
        Health h = health;
        h.ringbuf_drops = session.ringbuf_drops();
        h.traced_map_full = session.traced_map_full();
        h.stack_copy_failures = session.stack_copy_failures();
        h.futex_waits_not_kept = session.futex_waits_not_kept();
        h.malformed_records = obs.malformed();
        h.unreadable_maps = tracker.unreadable_maps();
        h.goroutines_unread = go.unread();
        return h;
    };
    const auto comms = [&] {
        std::map<int, std::string> out;
        for (const ProcessInfo& p : tracker.processes()) out[p.pid] = p.comm;
        return out;
    };
    const auto take_point = [&] {
        session.sample_sleepers();
        const uint64_t now = monotonic_ns();
        const auto alive = obs.census().alive_threads();
        parked.scan(alive, session.sleep_samples(), now);
        go.snapshot_watched(&obs.census());
        obs.census().add_point(
            now, [&](int pid, int tid) { return parked.is_parked(pid, tid); },
            [&](int pid, uint64_t goid) { return go.is_parked(pid, goid); });
        if (opt.verbose >= 2)
            fprintf(stderr, "threadleak: point: %zu threads, %zu parked, in %.1f ms\n", alive.size(),
                    parked.parked().size(), (monotonic_ns() - now) / 1e6);
    };
    const auto make_report = [&] {
        const std::map<int, std::string> names = comms();
        const auto reported = [&](int pid) { return obs.reported(pid, names); };
        SessionInfo info;
        info.wakes_tracked = session.tracks_wakes();
        info.mode = Mode::Attach;
        for (int pid : attached)
            if (reported(pid)) info.pids.push_back(pid);
        info.threadleak_version = threadleak_version();
        info.start_unix_ns = start_unix;
        info.duration_ns = monotonic_ns() - start_ns;
        info.parked_threshold_ns = static_cast<uint64_t>(opt.threshold.count());
        info.min_observation_ns = static_cast<uint64_t>(opt.rule.min_observation.count());
        Health h = kernel_health();
        const uint64_t began = monotonic_ns();
        std::vector<LeakedThread> live =
            parked_reader.read(tracker, session, parked.parked(), reported, opt.bpf.stack_size, h);
        for (LeakedThread& t : go.parked_leaks(reported)) live.push_back(std::move(t));
        for (const LeakedThread& t : go.exit_leaks())
            if (reported(t.thread.pid)) live.push_back(t);
        const uint64_t read = monotonic_ns();
        std::vector<CreationSite> sites;
        for (CreationSite& s : obs.census().sites())
            if (reported(s.pid)) sites.push_back(std::move(s));
        ReportOptions options{opt.suppressions, [&] { return false; }, false};
        options.pipe_holders = pipe_holders;
        const size_t live_count = live.size();
        Report r = build_report(tracker, std::move(info), h, options, std::move(live), std::move(sites));
        // --comm / --cgroup: only the chosen processes' findings.
        std::erase_if(r.leaks, [&](const LeakGroup& g) { return !reported(g.first().pid); });
        std::erase_if(r.alive_at_crash, [&](const LeakGroup& g) { return !reported(g.first().pid); });
        std::erase_if(r.processes, [&](const ProcessInfo& p) { return !reported(p.pid); });
        if (opt.verbose >= 2)
            fprintf(stderr, "threadleak: report: %zu parked threads read in %.1f ms, resolved in %.1f ms\n",
                    live_count, (read - began) / 1e6, (monotonic_ns() - read) / 1e6);
        return r;
    };

    // Prometheus gets the sites after every point; the parked threads' stacks are not read for it.
    const auto publish = [&] {
        if (!metrics) return;
        const std::map<int, std::string> names = comms();
        Report r;
        r.session.mode = Mode::Attach;
        r.session.duration_ns = monotonic_ns() - start_ns;
        r.health = kernel_health();
        for (CreationSite& s : obs.census().sites())
            if (obs.reported(s.pid, names)) r.sites.push_back(std::move(s));
        metrics->publish(r);
    };

    // The series begin at attach, so they span the whole observation.
    take_point();
    publish();
    TraceLoop loop(session, opt.sample_interval);
    std::optional<TraceLoop::Clock::time_point> deadline;
    if (opt.duration) deadline = started + *opt.duration;
    auto done = [&] {
        if (signals.received()) return true;  // Ctrl-C / SIGTERM: report and detach
        if (!opt.all && tracker.live_pids().empty()) return true;  // every target exited
        const auto now = TraceLoop::Clock::now();
        if (now >= next_point) {
            take_point();
            publish();
            next_point = std::max(next_point + point_every, now);
        }
        if (now >= next_report) {
            outputs.write(make_report());
            next_report = std::max(next_report + *opt.interval, now);
        }
        return false;
    };
    loop.run(done, deadline);
    session.drain();
    take_point();
    const Report report = make_report();
    outputs.write(report);
    if (report.has_leaks()) return opt.error_exitcode;
    // Nothing found, but lost records may have been the leaks.
    return report.health.lost_events() > 0 ? exit_code::kIncomplete : 0;
}

}  // namespace threadleak
