// The leaks of a Report as weighted stacks, root first: what the flame-graph
// formats (folded, svg, html) draw. A leaked thread's life reads as one path:
// where it was created (the creation stack, outermost caller first), a
// separator frame for the thread's start, then what it is blocked in (its
// blocking stack from the thread's entry down to the syscall), ending in a
// leaf that names the syscall ("[syscall futex]"), or its state.
//
// What counts: the leaks (Report::leaks) and the threads of leaked processes.
// Threads alive at a crash are context, not leaks, and are left out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats/format_options.h"
#include "report/report.h"

namespace threadleak {

/// What part of a thread's life a frame belongs to: the svg colours them apart.
enum class FrameRole {
    Creation,   ///< a frame of the creation stack
    Separator,  ///< a marker between the two stacks, or standing for a missing creation stack
    Blocking,   ///< a frame of the blocking or running stack
    Leaf,       ///< the syscall or state the thread sat in: "[syscall read]", "[running]"
};

/// Frame texts that are not functions, kept in one place so tests and docs name them.
namespace flame_marker {
inline constexpr const char* kThreadStart = "[thread start]";
inline constexpr const char* kProcessStart = "[process start]";  ///< a main thread's creation: the process's
inline constexpr const char* kBeforeTracing = "[created before tracing]";
inline constexpr const char* kRunning = "[running]";
inline constexpr const char* kStarting = "[starting]";
inline constexpr const char* kIa32 = "[ia32 code]";
inline constexpr const char* kSyscallUnknown = "[syscall unknown]";
inline constexpr const char* kGoroutineStart = "[goroutine start]";  ///< between a go statement and the goroutine
}  // namespace flame_marker

/// FlameFrame::location of frames merged from different places.
inline constexpr const char* kSeveralLocations = "several locations";

/// One frame of a flame-graph stack. `text` is raw: it may hold anything the
/// target put in a symbol name; each format escapes it for its own context.
struct FlameFrame {
    std::string text;      ///< demangled function, else "module+0xoff", else a marker
    FrameRole role = FrameRole::Creation;
    std::string location;  ///< "file:line (module+0xoff)", "module+0xoff", or "" for markers
    bool operator==(const FlameFrame&) const = default;
};

/// One distinct stack and what it weighs.
struct WeightedStack {
    std::vector<FlameFrame> frames;  ///< root first; never empty
    uint64_t threads = 0;            ///< leaked threads with this stack
    uint64_t blocked_ns = 0;         ///< their thread-time blocked: sum of each one's blocked_for
    uint64_t unmeasured = 0;         ///< of `threads`, those without a blocked_for (count 0 in time)
};

/// The stacks of a report, in the order of its leak groups (equal stacks
/// merged into the first), with what the options asked for.
struct FlameStacks {
    FormatOptions options;
    std::vector<WeightedStack> stacks;
    uint64_t threads = 0;     ///< all leaked threads drawn
    uint64_t blocked_ns = 0;  ///< their thread-time blocked
    uint64_t unmeasured = 0;  ///< threads that weigh 0 in --weight time: no measure

    /// A stack's weight in `unit_ns` units under options.weight: its thread
    /// count, or its blocked time (rounded to the nearest unit).
    uint64_t weight(const WeightedStack& s, uint64_t unit_ns) const;
};

FlameStacks flame_stacks(const Report& report, const FormatOptions& options);

/// What was traced, raw (each format escapes it): the command line joined by
/// spaces (run), or "pids 12 34" (attach).
std::string flame_subject(const SessionInfo& s);

/// "main", "libc.so.6+0x8ab2c": the text of a frame of a stack.
std::string flame_frame_text(const Frame& f);

}  // namespace threadleak
