// What the tracker's unit tests feed it: images that need no /proc, and
// registers that say where a stack was captured.
#pragma once

#include <memory>

#include "capture/capture_types.h"
#include "stacks/process_image.h"

namespace threadleak::test {

inline std::shared_ptr<ProcessImage> fake_image(int pid) { return std::make_shared<ProcessImage>(pid, ""); }

/// A captured stack at `pc`, in syscall `syscall_nr` (-1: user code).
inline CapturedStack stack_at(uint64_t pc, int64_t syscall_nr) {
    CapturedStack s;
    s.snapshot.regs[16] = pc;
    s.snapshot.regs[7] = 0x7ffd0000;
    s.syscall.nr = syscall_nr;
    return s;
}

}  // namespace threadleak::test
