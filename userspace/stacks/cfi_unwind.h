// DWARF-CFI unwinding of a copied user stack (registers + bytes above sp),
// one frame at a time: each frame's CFI comes from the shared file that the
// process maps at its pc, shifted by that mapping's load bias. The walk is
// libdwfl's (exact pc for the first frame and after a signal frame, pc - 1
// after a call), plus the fix for pcs without CFI (glibc's clone/clone3
// `syscall`), where a frame-pointer guess would invent frames from whatever
// rbp holds.
#pragma once

#include <cstddef>
#include <vector>

#include "capture/capture_types.h"
#include "stacks/module_map.h"
#include "stacks/stack_types.h"

namespace threadleak {

/// Innermost first, at most `max_frames`. The first frame is always the
/// captured pc when regs[16] != 0, even if nothing else unwinds. Stops at
/// pc 0, at a repeated (pc, sp), and after a frame without CFI.
std::vector<RawFrame> unwind_stack(const ModuleMap& modules, const StackSnapshot& snap,
                                   size_t max_frames);

/// True if the module holding `pc` has .eh_frame or .debug_frame CFI for it.
bool has_cfi(const ModuleMap& modules, uint64_t pc);

}  // namespace threadleak
