#include "modes/go_programs.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>

#include "analyze/go_frame_names.h"
#include "analyze/goroutine_leaks.h"

namespace threadleak {

std::string process_comm(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
    std::string comm;
    std::getline(in, comm);
    return comm;
}

void GoPrograms::probe(const std::string& path, const std::string& shown_as) {
    if (!is_go_binary(path)) return;
    std::string why_not;
    const std::optional<GoBinary> bin = read_go_binary(path, &why_not);
    if (!bin) {
        fprintf(stderr, "threadleak: warning: %s is a Go program whose goroutines cannot be read: %s\n",
                shown_as.c_str(), why_not.c_str());
        return;
    }
    session_.attach_go_exit_probe(path, bin->runtime_exit_file_offset);
}

void GoPrograms::probe_executable(const std::string& path) { probe(path, path); }

void GoPrograms::on_exit(const GoExitEvent& e) {
    std::string why_not;
    const auto began = std::chrono::steady_clock::now();
    std::optional<GoroutineSnapshot> snap = reader_.read(e.pid, &why_not);
    const double read_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count();
    const std::string comm = process_comm(e.pid);
    // Let it go as soon as it is read: it is a program on its way out.
    if (e.stopped) kill(e.pid, SIGCONT);
    if (!snap) {
        unread_++;
        if (verbose_) fprintf(stderr, "threadleak: goroutines of pid %d not read: %s\n", e.pid, why_not.c_str());
        return;
    }
    if (snap->unreadable) unread_++;
    if (verbose_)
        fprintf(stderr, "threadleak: pid %d (%s): %zu goroutines read at exit in %.1f ms, %llu unreadable\n", e.pid,
                snap->go_version.c_str(), snap->goroutines.size(), read_ms,
                static_cast<unsigned long long>(snap->unreadable));
    auto w = watched_.find(e.pid);
    if (w == watched_.end()) {
        for (LeakedThread& t : goroutines_alive_at_exit(*snap, comm, e.g)) leaks_.push_back(std::move(t));
        return;
    }
    // Read while it ran: a goroutine seen in this same wait then has waited at least since.
    GoroutineFolder folder;
    for (const Goroutine& g : snap->goroutines) {
        if (is_runtime_goroutine(g) || g.g == e.g) continue;
        const uint64_t waited = waited_ns(w->second, g, snap->time_ns);
        folder.add(*snap, g, comm, waited ? std::optional<uint64_t>(waited) : std::nullopt);
    }
    for (LeakedThread& t : folder.take()) leaks_.push_back(std::move(t));
    watched_.erase(w);
    exited_.push_back(e.pid);  // its exit report has them now
}

bool GoPrograms::watch(int pid) {
    std::string why_not;
    if (!is_go_binary("/proc/" + std::to_string(pid) + "/exe")) return false;
    if (!reader_.binary_of(pid, &why_not)) {
        if (kill(pid, 0) != 0) return false;  // it exited meanwhile: nothing to read
        fprintf(stderr, "threadleak: warning: pid %d is a Go program whose goroutines cannot be read: %s\n", pid,
                why_not.c_str());
        return false;
    }
    probe("/proc/" + std::to_string(pid) + "/exe", "pid " + std::to_string(pid));
    watched_[pid].comm = process_comm(pid);
    // Its threads' frames are named at the report: by then `go test` may have deleted the file.
    char exe[4096];
    const ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), exe, sizeof(exe) - 1);
    if (n > 0) learn_go_module(std::string(exe, static_cast<size_t>(n)), reader_.symbols_of(pid, &why_not));
    return true;
}

void GoPrograms::snapshot_watched(SiteCensus* census) {
    if (census)
        for (int pid : exited_) census->goroutines_gone(pid);
    exited_.clear();
    for (auto it = watched_.begin(); it != watched_.end();) {
        const int pid = it->first;
        Watched& w = it->second;
        std::string why_not;
        std::optional<GoroutineSnapshot> snap = reader_.read(pid, &why_not);
        if (!snap) {
            // Gone (its exit was reported through the probe), or unreadable now.
            if (kill(pid, 0) != 0) {
                if (census) census->goroutines_gone(pid);
                it = watched_.erase(it);
                continue;
            }
            unread_++;
            if (verbose_) fprintf(stderr, "threadleak: goroutines of pid %d not read: %s\n", pid, why_not.c_str());
            ++it;
            continue;
        }
        std::vector<std::pair<uint64_t, const Frame*>> seen;
        std::map<uint64_t, SeenWait> waits;
        for (const Goroutine& g : snap->goroutines) {
            if (is_runtime_goroutine(g)) continue;
            seen.emplace_back(g.goid, g.created_by.get());
            if (g.status != GoStatus::Waiting) continue;
            SeenWait now{g.wait_reason_index, g.sched_pc, snap->time_ns};
            auto old = w.waits.find(g.goid);
            if (old != w.waits.end() && old->second.reason == now.reason && old->second.pc == now.pc)
                now.since_ns = old->second.since_ns;
            waits.emplace(g.goid, now);
        }
        if (census) census->goroutines_seen(pid, snap->time_ns, seen);
        w.waits = std::move(waits);
        w.latest = std::move(snap);
        w.parked.clear();
        for (const Goroutine& g : w.latest->goroutines)
            if (g.status == GoStatus::Waiting && !is_runtime_goroutine(g) && waited_ns(w, g, w.latest->time_ns) >= threshold_ns_)
                w.parked.insert(g.goid);
        ++it;
    }
}

uint64_t GoPrograms::waited_ns(const Watched& w, const Goroutine& g, uint64_t now) const {
    uint64_t waited = 0;
    // Seen in this same wait (same reason, same place) by an earlier read.
    if (auto it = w.waits.find(g.goid); it != w.waits.end() && g.status == GoStatus::Waiting &&
                                        it->second.reason == g.wait_reason_index && it->second.pc == g.sched_pc)
        waited = now - std::min(now, it->second.since_ns);
    // The runtime's own stamp, set by a GC after the wait began, may reach further back.
    if (g.status == GoStatus::Waiting && g.waitsince_ns > 0 && static_cast<uint64_t>(g.waitsince_ns) < now)
        waited = std::max(waited, now - static_cast<uint64_t>(g.waitsince_ns));
    return waited;
}

bool GoPrograms::is_parked(int pid, uint64_t goid) const {
    auto w = watched_.find(pid);
    return w != watched_.end() && w->second.parked.count(goid) > 0;
}

std::vector<LeakedThread> GoPrograms::parked_leaks(const std::function<bool(int)>& reported) const {
    GoroutineFolder folder;
    for (const auto& [pid, w] : watched_) {
        if (!w.latest || !reported(pid)) continue;
        for (const Goroutine& g : w.latest->goroutines)
            if (w.parked.count(g.goid)) folder.add(*w.latest, g, w.comm, waited_ns(w, g, w.latest->time_ns));
    }
    std::vector<LeakedThread> out = folder.take();
    for (LeakedThread& t : out) t.goroutine->at_exit = false;
    return out;
}

void GoPrograms::read_hung(int pid) {
    std::string why_not;
    if (!reader_.binary_of(pid, &why_not)) return;  // no Go program
    std::optional<GoroutineSnapshot> snap = reader_.read(pid, &why_not);
    if (!snap) {
        unread_++;
        if (verbose_) fprintf(stderr, "threadleak: goroutines of pid %d not read: %s\n", pid, why_not.c_str());
        return;
    }
    if (snap->unreadable) unread_++;
    const std::string comm = process_comm(pid);
    auto w = watched_.find(pid);
    GoroutineFolder folder;
    for (const Goroutine& g : snap->goroutines) {
        const bool main = g.start_function->function && *g.start_function->function == "runtime.main";
        if (!main && is_runtime_goroutine(g)) continue;
        const uint64_t waited = w == watched_.end() ? 0 : waited_ns(w->second, g, snap->time_ns);
        folder.add(*snap, g, comm, waited ? std::optional<uint64_t>(waited) : std::nullopt);
    }
    for (LeakedThread& t : folder.take()) {
        t.goroutine->at_exit = false;  // read at the --timeout, alive
        leaks_.push_back(std::move(t));
    }
}

}  // namespace threadleak
