#include "formats/flame_stacks.h"

#include "formats/goroutine_text.h"

#include <cinttypes>
#include <cstdio>
#include <unordered_map>

namespace threadleak {
namespace {


std::string module_offset(const Frame& f) {
    const size_t slash = f.module.rfind('/');
    const std::string base = slash == std::string::npos ? f.module : f.module.substr(slash + 1);
    char off[24];
    std::snprintf(off, sizeof off, "+0x%" PRIx64, f.offset);
    return base + off;
}

FlameFrame stack_frame(const Frame& f, FrameRole role) {
    std::string location = module_offset(f);
    if (f.file) location = *f.file + (f.line ? ":" + std::to_string(*f.line) : "") + " (" + location + ")";
    return {flame_frame_text(f), role, std::move(location)};
}

FlameFrame marker(const char* text, FrameRole role) { return {text, role, ""}; }

/// `stack` (innermost first) appended root first.
void append_reversed(std::vector<FlameFrame>& out, const Stack& stack, FrameRole role) {
    for (auto it = stack.rbegin(); it != stack.rend(); ++it) out.push_back(stack_frame(*it, role));
}

/// Where the thread came from, root first, and the separator that follows it
/// (`with_separator`). A main thread's creation is its process's: the fork
/// stack of a leaked process (`process`), then "[process start]" (kept in a
/// creation-only stack too: it tells a fork from a thread's clone); the
/// command's own main thread has only the marker.
void append_creation(std::vector<FlameFrame>& out, const LeakGroup& g, const LeakedProcess* process,
                     bool with_separator) {
    const ThreadIdentity& first = g.first();
    if (g.goroutine) {
        append_reversed(out, g.created_by, FrameRole::Creation);
        if (with_separator) out.push_back(marker(flame_marker::kGoroutineStart, FrameRole::Separator));
        return;
    }
    const bool main_thread = first.tid == first.pid && g.created_by.empty();
    if (main_thread) {
        if (process) append_reversed(out, process->created_by, FrameRole::Creation);
        out.push_back(marker(flame_marker::kProcessStart, FrameRole::Separator));
        return;
    }
    if (g.created_by.empty())
        out.push_back(marker(flame_marker::kBeforeTracing, FrameRole::Separator));
    else
        append_reversed(out, g.created_by, FrameRole::Creation);
    if (with_separator) out.push_back(marker(flame_marker::kThreadStart, FrameRole::Separator));
}

/// What the thread sat in, from its entry down to the leaf naming the syscall or state.
void append_blocking(std::vector<FlameFrame>& out, const LeakGroup& g) {
    switch (g.state) {
    case ThreadState::Running:
        append_reversed(out, g.running_frames, FrameRole::Blocking);
        out.push_back(marker(flame_marker::kRunning, FrameRole::Leaf));
        return;
    case ThreadState::Starting: out.push_back(marker(flame_marker::kStarting, FrameRole::Leaf)); return;
    case ThreadState::Ia32: out.push_back(marker(flame_marker::kIa32, FrameRole::Leaf)); return;
    case ThreadState::Goroutine:
        if (!g.goroutine) return;
        append_reversed(out, g.goroutine->frames, FrameRole::Blocking);
        out.push_back({"[goroutine " + goroutine_state_text(*g.goroutine).substr(1), FrameRole::Leaf, ""});
        return;
    case ThreadState::Blocked:
    case ThreadState::Execing:
        if (!g.blocked_in) {
            out.push_back(marker(flame_marker::kSyscallUnknown, FrameRole::Leaf));
            return;
        }
        append_reversed(out, g.blocked_in->frames, FrameRole::Blocking);
        out.push_back({"[syscall " + g.blocked_in->syscall + "]", FrameRole::Leaf, ""});
        return;
    }
}

class StackCollector {
public:
    explicit StackCollector(const FormatOptions& options) { result_.options = options; }

    void add(const LeakGroup& g, const LeakedProcess* process) {
        const FlameStack which = result_.options.stack;
        WeightedStack s;
        if (which != FlameStack::Blocking) append_creation(s.frames, g, process, which == FlameStack::Both);
        if (which != FlameStack::Creation) append_blocking(s.frames, g);
        s.threads = g.threads.size();
        const auto& measured = g.blocked_in ? g.blocked_in->blocked_for : std::nullopt;
        s.blocked_ns = measured ? s.threads * measured->ns : 0;  // the group's count x its blocked_for
        s.unmeasured = measured ? 0 : s.threads;
        result_.threads += s.threads;
        result_.blocked_ns += s.blocked_ns;
        result_.unmeasured += s.unmeasured;
        merge(std::move(s));
    }

    FlameStacks take() { return std::move(result_); }

private:
    /// Stacks that read the same are one: their weights add up.
    void merge(WeightedStack s) {
        std::string key;
        for (const FlameFrame& f : s.frames) {
            key += static_cast<char>('0' + static_cast<int>(f.role));
            key += f.text;
            key += '\0';
        }
        auto [it, added] = index_.try_emplace(std::move(key), result_.stacks.size());
        if (added) {
            result_.stacks.push_back(std::move(s));
            return;
        }
        WeightedStack& into = result_.stacks[it->second];
        into.threads += s.threads;
        into.blocked_ns += s.blocked_ns;
        into.unmeasured += s.unmeasured;
        for (size_t i = 0; i < into.frames.size(); ++i)
            if (into.frames[i].location != s.frames[i].location) into.frames[i].location = kSeveralLocations;
    }

    FlameStacks result_;
    std::unordered_map<std::string, size_t> index_;
};

}  // namespace

std::string flame_frame_text(const Frame& f) {
    if (f.function && !f.function->empty()) return *f.function;
    return module_offset(f);
}

std::string flame_subject(const SessionInfo& s) {
    std::string text;
    if (s.mode == Mode::Attach) {
        text = "pids";
        for (int pid : s.pids) text += " " + std::to_string(pid);
        return text;
    }
    for (const std::string& word : s.command) text += (text.empty() ? "" : " ") + word;
    return text;
}

uint64_t FlameStacks::weight(const WeightedStack& s, uint64_t unit_ns) const {
    if (options.weight == FlameWeight::Count) return s.threads;
    return (s.blocked_ns + unit_ns / 2) / unit_ns;
}

FlameStacks flame_stacks(const Report& report, const FormatOptions& options) {
    StackCollector collector(options);
    for (const LeakGroup& g : report.leaks) collector.add(g, nullptr);
    for (const LeakedProcess& p : report.leaked_processes)
        for (const LeakGroup& g : p.threads) collector.add(g, &p);
    return collector.take();
}

}  // namespace threadleak
