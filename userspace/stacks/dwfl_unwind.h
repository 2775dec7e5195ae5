// DWARF-CFI unwinding of a copied user stack (registers + bytes above sp)
// with libdwfl, the way `perf --call-graph dwarf` does it, plus the fix for
// pcs without CFI (glibc's clone/clone3 `syscall`), where libdwfl's frame
// pointer fallback would invent frames from whatever rbp holds.
#pragma once

#include <cstddef>
#include <vector>

#include "stacks/dwfl_session.h"
#include "capture/capture_types.h"
#include "stacks/stack_types.h"

namespace threadleak {

class DwflUnwinder {
public:
    /// `pid` is only the process id libdwfl is told about; nothing is read
    /// from the live process.
    DwflUnwinder(DwflSession& session, int pid) : session_(session), pid_(pid) {}
    DwflUnwinder(const DwflUnwinder&) = delete;
    DwflUnwinder& operator=(const DwflUnwinder&) = delete;

    /// Innermost first, at most `max_frames`. The first frame is always the
    /// captured pc when regs[16] != 0, even if nothing else unwinds. Stops at
    /// pc 0, at a repeated (pc, sp), and after a frame without CFI.
    std::vector<RawFrame> unwind(const StackSnapshot& snap, int tid, size_t max_frames);

    /// True if the module holding `pc` has .eh_frame or .debug_frame CFI for
    /// it, i.e. libdwfl will not fall back to frame pointers there.
    bool has_cfi(uint64_t pc) const;

    struct Request;  // one unwind call's input and output, seen by callbacks

private:
    bool attach();

    DwflSession& session_;
    int pid_;
    Dwfl* attached_to_ = nullptr;
    Request* current_ = nullptr;
};

}  // namespace threadleak
