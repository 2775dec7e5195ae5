// One unwinding step on x86_64: the caller's registers from the CFI rules of
// the frame at a pc, evaluated over a copied user stack. The rules are applied
// as libdwfl's own unwinder applies them (undefined, same value, offset,
// register, expression; DWARF expressions of the CFI subset), so a stack
// unwound step by step here matches one unwound by dwfl_getthread_frames.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <optional>

#include <elfutils/libdw.h>

#include "capture/capture_types.h"

namespace threadleak {

/// x86_64 DWARF registers 0 (rax) .. 16 (rip), and which of them are known.
struct FrameRegs {
    static constexpr unsigned kCount = 17;
    static constexpr unsigned kSp = 7;
    static constexpr unsigned kPc = 16;

    std::array<uint64_t, kCount> value{};
    std::bitset<kCount> known;

    /// False if `regno` is out of range or not known.
    bool get(unsigned regno, uint64_t& out) const;
    void set(unsigned regno, uint64_t v);
};

/// The word at `addr` in the stack copy (which starts at the captured sp);
/// false outside it: nothing else of the target's memory is available.
bool read_stack_word(const StackSnapshot& snap, uint64_t addr, uint64_t& value);

/// What one step found about the caller of a frame.
struct CallerFrame {
    FrameRegs regs;               ///< the registers the CFI rules could recover
    std::optional<uint64_t> pc;   ///< its return address; nullopt: end of the stack
    bool signal_frame = false;    ///< the CFI was a signal trampoline's ('S' augmentation)
};

/// Applies the CFI rules of `cfi` at `pc_in_cfi` (a pc minus `bias`, the
/// difference between run-time addresses and the CFI's) to `regs`, reading
/// saved registers from `stack`. nullopt if `cfi` has no entry for the pc.
std::optional<CallerFrame> cfi_step(Dwarf_CFI* cfi, uint64_t pc_in_cfi, uint64_t bias,
                                    const FrameRegs& regs, const StackSnapshot& stack);

/// True if `cfi` has an entry covering `pc_in_cfi`.
bool cfi_covers(Dwarf_CFI* cfi, uint64_t pc_in_cfi);

}  // namespace threadleak
