// What the command line tells a format beyond the Report itself: which stacks
// the flame-graph formats (folded, svg, html) draw and what sets a frame's
// width. Formats without stacks to draw ignore it.
#pragma once

namespace threadleak {

/// --stack: which part of a leaked thread's life a flame-graph stack shows.
enum class FlameStack {
    Creation,  ///< the creation stack only: where the thread was started
    Blocking,  ///< the blocking (or running) stack only, ending in the syscall leaf
    Both,      ///< creation frames, a separator frame, then the blocking frames
};

/// --weight: what a stack's width counts.
enum class FlameWeight {
    Count,  ///< leaked threads
    Time,   ///< thread-time blocked: each thread's blocked_for (0 when not measured)
};

struct FormatOptions {
    FlameStack stack = FlameStack::Both;
    FlameWeight weight = FlameWeight::Count;
};

/// "creation", "blocking", "both"; "count", "time": the --stack and --weight values.
const char* to_string(FlameStack s);
const char* to_string(FlameWeight w);

}  // namespace threadleak
