// How every human-readable format words leaked goroutines. Function names,
// files and the wait reason come from the target's memory: callers escape.
#pragma once

#include <string>

#include "report/report.h"

namespace threadleak {

/// "[chan receive]", "[syscall]": Go's own bracket, as its tracebacks print it.
std::string goroutine_state_text(const GoroutineFacts& g);

/// "3 goroutines of pid 42 (/opt/app) never ended: [chan receive] when the
/// process exited, for at least 2s"; read live: (attach) "parked in [chan receive],
/// for at least 12s", (run) "still there when the --timeout expired: [select]".
std::string goroutine_phrase(const LeakGroup& g, Mode mode);

/// "main.leakRecv.func1 (/src/recv.go:12)": a frame as Go prints it; "?" when unknown.
std::string go_frame_text(const Frame& f);

/// "goroutines 18 19 20" (at most `max_listed`, then "...").
std::string goid_list_text(const GoroutineFacts& g, size_t max_listed);

}  // namespace threadleak
