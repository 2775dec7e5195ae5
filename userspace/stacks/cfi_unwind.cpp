#include "stacks/cfi_unwind.h"

#include <optional>

#include "stacks/cfi_step.h"

namespace threadleak {
namespace {

/// The caller of the frame whose CFI is looked up at `lookup`: .eh_frame
/// first, then .debug_frame, as libdwfl does. nullopt if neither covers it.
std::optional<CallerFrame> step_at(const ModuleMap& modules, uint64_t lookup, const FrameRegs& regs,
                                   const StackSnapshot& snap) {
    const MappedModule* m = modules.at(lookup);
    if (m == nullptr) return std::nullopt;
    uint64_t cfi_bias = 0;
    if (Dwarf_CFI* eh = m->file->eh_cfi(cfi_bias)) {
        const uint64_t bias = m->bias + cfi_bias;
        if (auto caller = cfi_step(eh, lookup - bias, bias, regs, snap)) return caller;
    }
    if (Dwarf_CFI* dwarf = m->file->dwarf_cfi(cfi_bias)) {
        const uint64_t bias = m->bias + cfi_bias;
        if (auto caller = cfi_step(dwarf, lookup - bias, bias, regs, snap)) return caller;
    }
    return std::nullopt;
}

}  // namespace

bool has_cfi(const ModuleMap& modules, uint64_t pc) {
    const MappedModule* m = modules.at(pc);
    if (m == nullptr) return false;
    uint64_t cfi_bias = 0;
    if (Dwarf_CFI* eh = m->file->eh_cfi(cfi_bias); cfi_covers(eh, pc - m->bias - cfi_bias)) return true;
    Dwarf_CFI* dwarf = m->file->dwarf_cfi(cfi_bias);
    return cfi_covers(dwarf, pc - m->bias - cfi_bias);
}

std::vector<RawFrame> unwind_stack(const ModuleMap& modules, const StackSnapshot& snap,
                                   size_t max_frames) {
    std::vector<RawFrame> out;
    const uint64_t pc0 = snap.regs[FrameRegs::kPc];
    if (max_frames == 0 || pc0 == 0) return out;

    FrameRegs regs;
    for (unsigned i = 0; i < FrameRegs::kCount; ++i) regs.set(i, snap.regs[i]);
    // regs[16] is then a return address minus one: the first frame found is
    // a caller, not the interrupted instruction.
    bool restarted = false;
    uint64_t return_address = 0;
    if (!has_cfi(modules, pc0)) {
        // glibc's clone/clone3 end their FDE before `syscall`, and code with
        // no module (JIT, unknown mapping) has no CFI either. At such a pc the
        // caller's return address is usually still at [sp] (a leaf that has
        // pushed nothing), so restart from there as if the leaf had returned.
        out.push_back({pc0, false});
        if (out.size() >= max_frames) return out;
        const uint64_t sp = snap.regs[FrameRegs::kSp];
        if (!read_stack_word(snap, sp, return_address) || return_address == 0 ||
            modules.at(return_address - 1) == nullptr) {
            return out;
        }
        // Unwind from the call instruction (ret - 1): the first frame's CFI is
        // looked up at its exact pc, and a call that ends a function would
        // otherwise find the next function's CFI.
        regs.set(FrameRegs::kPc, return_address - 1);
        regs.set(FrameRegs::kSp, sp + 8);
        restarted = true;
    }

    uint64_t pc = regs.value[FrameRegs::kPc];
    bool initial = true;       // the captured state: its pc is exact
    bool after_signal = false; // unwound from a signal trampoline: its pc is exact too
    size_t frames_this_run = 0;
    uint64_t prev_pc = 0, prev_sp = 0;
    for (;;) {
        // A return address is looked up at pc - 1, the call: a call that
        // ends a function returns to the next function's first byte.
        const uint64_t lookup = initial || after_signal ? pc : pc - 1;
        const std::optional<CallerFrame> caller = step_at(modules, lookup, regs, snap);
        // A frame is an activation (its pc exact, not a return address) when
        // it is the first, follows a signal frame, or is the trampoline itself.
        const bool activation =
            initial || after_signal || (caller && caller->pc && caller->signal_frame);

        const bool first = frames_this_run == 0;
        bool is_return = !activation;
        uint64_t shown = pc;
        if (first && restarted) {
            shown = pc + 1;
            is_return = true;
        }
        if (shown == 0) break;
        uint64_t sp = 0;
        if (!regs.get(FrameRegs::kSp, sp)) sp = 0;
        if (!first && shown == prev_pc && sp == prev_sp) break;
        prev_pc = shown;
        prev_sp = sp;
        ++frames_this_run;
        out.push_back({shown, is_return});
        if (out.size() >= max_frames) break;
        // Without CFI here the caller could only be guessed from rbp, which is
        // not a frame pointer in Debian's glibc/libstdc++: stop instead. (The
        // unrestarted first frame was checked before the walk started.)
        if ((!first || restarted) && !has_cfi(modules, is_return ? shown - 1 : shown)) break;
        if (!caller || !caller->pc) break;  // end of the stack, or no CFI
        pc = *caller->pc;
        regs = caller->regs;
        after_signal = caller->signal_frame;
        initial = false;
    }

    if (out.empty()) {
        out.push_back({pc0, false});
    } else if (restarted && frames_this_run == 0 && out.size() < max_frames) {
        out.push_back({return_address, true});
    }
    return out;
}

}  // namespace threadleak
