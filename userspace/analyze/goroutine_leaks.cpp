#include "analyze/goroutine_leaks.h"

#include <algorithm>
#include <string_view>

namespace threadleak {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool in_runtime(const Frame& f) { return f.function && starts_with(*f.function, "runtime."); }

/// Standard library code: under GOROOT/src, or (built with -trimpath, when
/// paths are relative) a path whose first element has no dot, as every
/// standard package's has and a module path's has not.
bool in_standard_library(const Frame& f, const std::string& goroot_src) {
    if (!f.file) return in_runtime(f);
    if (!goroot_src.empty()) return starts_with(*f.file, goroot_src);
    if (starts_with(*f.file, "/")) return false;
    const std::string_view first = std::string_view(*f.file).substr(0, f.file->find('/'));
    return first.find('.') == std::string_view::npos;
}

}  // namespace

bool is_runtime_goroutine(const Goroutine& g) {
    if (!g.start_function->function) return false;
    const std::string& start = *g.start_function->function;
    if (start == "runtime.main") return true;  // the program itself
    if (start == "os/signal.loop") return true;  // started once by signal.Notify, ends with the process
    return starts_with(start, "runtime.");
}

std::optional<Frame> blocked_user_frame(const Stack& frames, const std::string& goroot_src) {
    for (const Frame& f : frames)
        if (!in_standard_library(f, goroot_src)) return f;
    for (const Frame& f : frames)
        if (!in_runtime(f)) return f;
    return std::nullopt;
}

std::optional<uint64_t> goroutine_leak_waiting(const GoroutineSnapshot& s, const Goroutine& g) {
    // waitsince is stamped by the GC's stack scan, after the wait began: a lower bound.
    if (g.status == GoStatus::Waiting && g.waitsince_ns > 0 && static_cast<uint64_t>(g.waitsince_ns) <= s.time_ns)
        return s.time_ns - static_cast<uint64_t>(g.waitsince_ns);
    return std::nullopt;
}

LeakedThread goroutine_leak(const GoroutineSnapshot& s, const Goroutine& g, const std::string& comm) {
    LeakedThread t;
    t.kind = LeakKind::Goroutine;
    t.state = ThreadState::Goroutine;
    t.thread = ThreadIdentity{s.pid, s.exe, 0, comm, std::nullopt};
    t.created_by = {*g.created_by};
    GoroutineFacts f;
    f.goids = {g.goid};
    f.status = to_string(g.status);
    f.wait_reason = g.wait_reason;
    f.waiting_ns = goroutine_leak_waiting(s, g);
    f.start_function = *g.start_function;
    f.blocked_frame = blocked_user_frame(*g.frames, s.goroot_src);
    f.frames = *g.frames;
    t.goroutine = std::move(f);
    return t;
}

void GoroutineFolder::add(const GoroutineSnapshot& s, const Goroutine& g, const std::string& comm,
                          std::optional<uint64_t> waiting_ns) {
    // What leak_grouping would fold them by: the go statement, the wait, the blocked frame.
    const std::optional<Frame> blocked = blocked_user_frame(*g.frames, s.goroot_src);
    Key key{s.pid, g.created_by->module, g.created_by->offset, static_cast<uint32_t>(g.status), g.wait_reason,
            blocked ? blocked->offset : 0, blocked ? 0 : g.frames.get()};
    auto [it, added] = index_.try_emplace(std::move(key), entries_.size());
    if (added) {
        entries_.push_back(goroutine_leak(s, g, comm));
        if (waiting_ns) entries_.back().goroutine->waiting_ns = waiting_ns;
        return;
    }
    GoroutineFacts& f = *entries_[it->second].goroutine;
    f.goids.push_back(g.goid);
    const std::optional<uint64_t> waited = waiting_ns ? waiting_ns : goroutine_leak_waiting(s, g);
    if (waited && (!f.waiting_ns || *waited > *f.waiting_ns)) f.waiting_ns = waited;
}

std::vector<LeakedThread> GoroutineFolder::take() {
    index_.clear();
    for (LeakedThread& t : entries_) std::sort(t.goroutine->goids.begin(), t.goroutine->goids.end());
    return std::move(entries_);
}

std::vector<LeakedThread> goroutines_alive_at_exit(const GoroutineSnapshot& s, const std::string& comm,
                                                   std::optional<uint64_t> exiting_g) {
    GoroutineFolder folder;
    for (const Goroutine& g : s.goroutines) {
        if (is_runtime_goroutine(g) || (exiting_g && g.g == *exiting_g)) continue;
        folder.add(s, g, comm);
    }
    return folder.take();
}

}  // namespace threadleak
