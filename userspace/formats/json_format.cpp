// The "json" report format: schema "threadleak/1", documented field by field
// in docs/json-schema.md; attach reports add their keys (pids, sites, ...). Integration tests parse it: keys and their order are
// a contract.
#include <cinttypes>
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "formats/report_format.h"
#include "formats/socket_text.h"
#include "formats/syscall_text.h"
#include "formats/syscall_value_names.h"
#include "formats/wait_text.h"

namespace threadleak {
namespace {

using json = nlohmann::ordered_json;

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    return buf;
}

template <typename T>
json or_null(const std::optional<T>& v) {
    return v ? json(*v) : json(nullptr);
}

json frame_json(const Frame& f) {
    json j;
    j["function"] = or_null(f.function);
    j["module"] = f.module;
    j["offset"] = hex(f.offset);
    j["address"] = hex(f.address);
    j["file"] = or_null(f.file);
    j["line"] = or_null(f.line);
    return j;
}

json stack_json(const Stack& stack) {
    json j = json::array();
    for (const auto& f : stack) j.push_back(frame_json(f));
    return j;
}

json blocked_in_json(const BlockedIn& b) {
    json args = json::object();
    for (const auto& p : args_pairs(b))
        std::visit([&](const auto& v) { args[p.name] = v; }, p.value);
    json j;
    j["syscall"] = b.syscall;
    j["args"] = std::move(args);
    j["timeout_ns"] = or_null(b.timeout_ns);
    j["blocked_for_ns"] = b.blocked_for ? json(b.blocked_for->ns) : json(nullptr);
    j["blocked_for_exact"] = b.blocked_for ? json(b.blocked_for->exact) : json(nullptr);
    j["frames"] = stack_json(b.frames);
    return j;
}

json wait_json(const LeakFindings& f) {
    const WaitFacts& w = *f.wait;
    json j;
    j["kind"] = to_string(w.kind);
    j["timed"] = w.timed;
    if (w.timeout_ns) j["timeout_ns"] = *w.timeout_ns;
    if (w.object) j["object"] = to_hex(*w.object);
    if (w.for_write) j["for_write"] = *w.for_write;
    if (w.owner_tid) j["owner_tid"] = *w.owner_tid;
    if (w.joins_tid) j["joins_tid"] = *w.joins_tid;
    if (f.waits_for) j["waits_for_found"] = f.waits_for->found;
    if (w.fd) j["fd"] = *w.fd;
    if (w.fd_kind) j["fd_kind"] = fd_kind_name(FdFact{w.fd.value_or(-1), *w.fd_kind, {}});
    if (w.fd_ino) j["fd_ino"] = *w.fd_ino;
    if (w.pipe_writers) j["pipe_writers"] = *w.pipe_writers;
    if (!w.pipe_peers.empty()) {
        j["pipe_peers"] = json::array();
        for (const PipeEnd& e : w.pipe_peers) j["pipe_peers"].push_back({{"pid", e.pid}, {"fd", e.fd}});
    }
    if (w.epoll_empty) j["epoll_empty"] = *w.epoll_empty;
    if (w.epoll_watched) j["epoll_watched"] = *w.epoll_watched;
    if (w.timer_interval_ns) j["timer_interval_ns"] = *w.timer_interval_ns;
    if (w.socket) {
        json sock = {{"family", socket_family_name(*w.socket)}, {"type", socket_type_name(*w.socket)}};
        sock["local"] = socket_local_text(*w.socket);
        sock["remote"] = w.socket->remote_port ? json(socket_remote_text(*w.socket)) : json(nullptr);
        const std::string state = socket_state_name(*w.socket);
        sock["state"] = state.empty() ? json(nullptr) : json(state);
        j["socket"] = std::move(sock);
    }
    if (w.period_ns) {
        j["period_ns"] = *w.period_ns;
        j["sleeps_seen"] = w.sleeps_seen;
    }
    j["wakes_sent"] = or_null(w.wakes_sent);
    j["last_waker_tid"] = or_null(w.last_waker_tid);
    j["text"] = wait_phrase(f);
    return j;
}

json deadlock_json(const Deadlock& d) {
    json j;
    j["pid"] = d.pid;
    j["cycle"] = d.cycle;
    j["edges"] = json::array();
    for (const DeadlockEdge& e : d.edges) {
        const std::string what = std::string(to_string(e.kind)) + (e.object ? " " + to_hex(*e.object) : "");
        json edge = {{"tid", e.tid}, {"name", e.name}, {"waits_for", what}, {"held_by", e.held_by}};
        edge["object"] = e.object ? json(to_hex(*e.object)) : json(nullptr);
        j["edges"].push_back(std::move(edge));
    }
    return j;
}

json timers_json(const LeakedTimers& t) {
    json j;
    j["count"] = t.fds.size();
    j["pid"] = t.pid;
    j["exe"] = t.exe;
    j["fds"] = t.fds;
    j["created"] = t.created;
    j["closed"] = t.closed;
    j["created_by"] = {{"tid", t.creator_tid}, {"frames", stack_json(t.created_by)}};
    j["interval_ns"] = t.interval_ns;
    j["armed"] = t.armed;
    return j;
}

json goroutine_json(const GoroutineFacts& g) {
    json j;
    j["goids"] = g.goids;
    j["status"] = g.status;
    j["wait_reason"] = g.wait_reason;
    j["waiting_ns"] = or_null(g.waiting_ns);
    j["waiting_exact"] = g.waiting_exact;
    j["at_exit"] = g.at_exit;
    j["start_function"] = frame_json(g.start_function);
    j["blocked_frame"] = g.blocked_frame ? frame_json(*g.blocked_frame) : json(nullptr);
    j["frames"] = stack_json(g.frames);
    return j;
}

/// `attach` adds what only an attach report knows: each thread's start time
/// and whether its creation was seen (run reports keep their shape).
json leak_json(const LeakGroup& g, bool attach) {
    const ThreadIdentity& first = g.first();
    json j;
    j["kind"] = to_string(g.kind);
    j["test"] = or_null(g.test);
    j["count"] = g.threads.size();
    j["pid"] = first.pid;
    j["exe"] = first.exe;
    // A goroutine is no thread: its ids are goids (in "goroutine").
    j["tids"] = g.goroutine ? json::array() : json(g.tids());
    j["comm"] = first.name;
    j["thread_names"] = g.goroutine ? json::array() : json(g.thread_names());
    if (attach) {
        j["started_unix_ns"] = json::array();
        for (const ThreadIdentity& t : g.threads) j["started_unix_ns"].push_back(or_null(t.start_unix_ns));
    }
    if (g.created_before_attach)
        j["created_by"] = nullptr;
    else
        j["created_by"] = {{"tid", or_null(first.creator_tid)}, {"frames", stack_json(g.created_by)}};
    if (attach) j["created_before_attach"] = g.created_before_attach;
    j["state"] = to_string(g.state);
    j["blocked_in"] = g.blocked_in ? blocked_in_json(*g.blocked_in) : json(nullptr);
    j["wait"] = g.wait ? wait_json(g) : json(nullptr);
    j["waits_for_tid"] = g.waits_for ? json(g.waits_for->tid) : json(nullptr);
    j["deadlock"] = g.deadlock ? json({{"cycle", *g.deadlock}}) : json(nullptr);
    j["running_frames"] = stack_json(g.running_frames);
    if (g.goroutine) j["goroutine"] = goroutine_json(*g.goroutine);
    return j;
}

json leaked_process_json(const LeakedProcess& p) {
    json j;
    j["pid"] = p.pid;
    j["exe"] = p.exe;
    j["cmdline"] = p.cmdline;
    j["cmdline_truncated"] = p.cmdline_truncated;
    j["ppid"] = p.ppid;
    j["parent_exe"] = p.parent_exe;
    j["created_by"] = {{"tid", or_null(p.creator_tid)}, {"frames", stack_json(p.created_by)}};
    j["threads"] = json::array();
    for (const auto& g : p.threads) j["threads"].push_back(leak_json(g, false));
    return j;
}

json lifetimes_json(const std::optional<Lifetimes>& l) {
    if (!l) return nullptr;
    return {{"min", l->min_ns}, {"p50", l->p50_ns}, {"p99", l->p99_ns}, {"max", l->max_ns}};
}

json site_json(const CreationSite& s) {
    json j;
    j["pid"] = s.pid;
    j["comm"] = s.comm;
    j["exe"] = s.exe;
    j["label"] = s.label;
    j["created_by"] = s.created_before_attach ? json(nullptr) : json({{"frames", stack_json(s.created_by)}});
    j["created_before_attach"] = s.created_before_attach;
    j["goroutines"] = s.goroutines;
    j["verdict"] = to_string(s.verdict);
    j["created"] = s.created;
    j["exited"] = s.exited;
    j["alive"] = s.alive;
    j["parked"] = s.parked;
    j["lifetime_ns"] = lifetimes_json(s.lifetime_ns);
    j["slope_per_min"] = or_null(s.slope_per_min);  // a NaN or infinity is written as null
    j["projected_24h"] = or_null(s.projected_24h);
    j["series"] = json::array();
    for (const SitePoint& p : s.series) j["series"].push_back(json::array({p.t_ns, p.alive, p.parked}));
    return j;
}

json health_json(const Health& h) {
    json j;
    j["ringbuf_drops"] = h.ringbuf_drops;
    j["traced_map_full"] = h.traced_map_full;
    j["malformed_records"] = h.malformed_records;
    j["stack_copy_failures"] = h.stack_copy_failures;
    j["unreadable_memory"] = h.unreadable_memory;
    j["stacks_not_symbolized"] = h.stacks_not_symbolized;
    j["unreadable_maps"] = h.unreadable_maps;
    j["futex_waits_not_kept"] = h.futex_waits_not_kept;
    j["goroutines_unread"] = h.goroutines_unread;
    return j;
}

json process_json(const ProcessInfo& p) {
    json j;
    j["pid"] = p.pid;
    j["ppid"] = p.ppid;
    j["exe"] = p.exe;
    j["comm"] = p.comm;
    j["exit_code"] = or_null(p.exit_code);
    j["signal"] = or_null(p.signal);
    return j;
}

class JsonFormat final : public ReportFormat {
public:
    void write(const Report& r, std::ostream& out) const override {
        json j;
        const SessionInfo& s = r.session;
        j["schema"] = "threadleak/1";
        j["mode"] = to_string(s.mode);
        j["command"] = s.command;
        const bool attach = s.mode == Mode::Attach;
        if (attach) {
            j["pids"] = s.pids;
            j["duration_ns"] = or_null(s.duration_ns);
            j["parked_threshold_ns"] = or_null(s.parked_threshold_ns);
            j["min_observation_ns"] = or_null(s.min_observation_ns);
        }
        j["exit_code"] = or_null(s.exit_code);
        j["signal"] = or_null(s.signal);
        j["timed_out"] = s.timed_out;
        j["wakes_tracked"] = s.wakes_tracked;
        j["lost_events"] = r.health.lost_events();
        j["health"] = health_json(r.health);
        j["leaked_threads"] = r.leaked_thread_count();
        j["leaked_goroutines"] = r.leaked_goroutine_count();
        j["processes"] = json::array();
        for (const auto& p : r.processes) j["processes"].push_back(process_json(p));
        j["leaks"] = json::array();
        for (const auto& g : r.leaks) j["leaks"].push_back(leak_json(g, attach));
        j["alive_at_crash"] = json::array();
        for (const auto& g : r.alive_at_crash) j["alive_at_crash"].push_back(leak_json(g, attach));
        j["leaked_processes"] = json::array();
        for (const auto& p : r.leaked_processes) j["leaked_processes"].push_back(leaked_process_json(p));
        j["deadlocks"] = json::array();
        for (const Deadlock& d : r.deadlocks) j["deadlocks"].push_back(deadlock_json(d));
        j["timers"] = json::array();
        for (const LeakedTimers& t : r.timers) j["timers"].push_back(timers_json(t));
        j["suppressed"] = json::array();
        for (const auto& s : r.suppressed) {
            json entry = {{"rule", s.rule}, {"source", s.source}, {"count", s.count}};
            if (s.timers) entry["timers"] = s.timers;  // timer sites it silenced (count is threads)
            if (s.goroutines) entry["goroutines"] = s.goroutines;
            j["suppressed"].push_back(std::move(entry));
        }
        if (attach) {
            j["sites"] = json::array();
            for (const auto& site : r.sites) j["sites"].push_back(site_json(site));
        }
        // Symbol names, paths and comms come from the target: invalid UTF-8
        // becomes U+FFFD instead of throwing type_error 316.
        out << j.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
    }
};

}  // namespace

/// Declared in report_format.cpp, the one place that lists the formats.
std::unique_ptr<ReportFormat> make_json_format(const FormatOptions&) { return std::make_unique<JsonFormat>(); }

}  // namespace threadleak
