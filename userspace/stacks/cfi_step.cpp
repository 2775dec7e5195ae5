#include "stacks/cfi_step.h"

#include <dwarf.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace threadleak {

bool FrameRegs::get(unsigned regno, uint64_t& out) const {
    if (regno >= kCount || !known[regno]) return false;
    out = value[regno];
    return true;
}

void FrameRegs::set(unsigned regno, uint64_t v) {
    if (regno >= kCount) return;
    value[regno] = v;
    known[regno] = true;
}

bool read_stack_word(const StackSnapshot& snap, uint64_t addr, uint64_t& value) {
    const uint64_t base = snap.regs[FrameRegs::kSp];
    if (addr < base) return false;
    const uint64_t off = addr - base;
    if (off > snap.stack.size() || snap.stack.size() - off < sizeof value) return false;
    std::memcpy(&value, snap.stack.data() + off, sizeof value);
    return true;
}

namespace {

// Bounds of libdwfl's evaluator: hostile CFI cannot make one step unbounded.
constexpr size_t kMaxStack = 0x100;
constexpr size_t kMaxSteps = 0x1000;

struct FreeFrame {
    void operator()(Dwarf_Frame* f) const { std::free(f); }
};
using FramePtr = std::unique_ptr<Dwarf_Frame, FreeFrame>;

/// Evaluates a CFI expression over the callee's registers. `frame` is null
/// while computing the CFA itself (which may not refer to the CFA). libdw
/// makes register rules start with DW_OP_call_frame_cfa; a result that is a
/// location (not ended by DW_OP_stack_value) is read from the stack.
class ExprEval {
public:
    ExprEval(const FrameRegs& regs, const StackSnapshot& stack, uint64_t bias)
        : regs_(regs), stack_(stack), bias_(bias) {}

    bool eval(Dwarf_Frame* frame, const Dwarf_Op* ops, size_t nops, uint64_t& result) const {
        if (nops == 0) return false;
        std::vector<uint64_t> st;
        bool is_location = false;
        size_t steps = 0;
        auto push = [&](uint64_t v) {
            if (st.size() >= kMaxStack) return false;
            st.push_back(v);
            return true;
        };
        auto pop = [&](uint64_t& v) {
            if (st.empty()) return false;
            v = st.back();
            st.pop_back();
            return true;
        };
        uint64_t a = 0, b = 0, c = 0;
        for (const Dwarf_Op* op = ops; op < ops + nops; ++op) {
            if (++steps > kMaxSteps) return false;
            const uint8_t atom = op->atom;
            bool ok = true;
            if (atom >= DW_OP_lit0 && atom <= DW_OP_lit31) {
                ok = push(atom - DW_OP_lit0);
            } else if (atom >= DW_OP_reg0 && atom <= DW_OP_reg31) {
                ok = regs_.get(atom - DW_OP_reg0, a) && push(a);
            } else if (atom >= DW_OP_breg0 && atom <= DW_OP_breg31) {
                ok = regs_.get(atom - DW_OP_breg0, a) && push(a + op->number);
            } else {
                switch (atom) {
                case DW_OP_addr: ok = push(op->number + bias_); break;
                case DW_OP_const1u: case DW_OP_const1s: case DW_OP_const2u: case DW_OP_const2s:
                case DW_OP_const4u: case DW_OP_const4s: case DW_OP_const8u: case DW_OP_const8s:
                case DW_OP_constu: case DW_OP_consts:
                    ok = push(op->number);
                    break;
                case DW_OP_regx: ok = regs_.get(static_cast<unsigned>(op->number), a) && push(a); break;
                case DW_OP_bregx:
                    ok = regs_.get(static_cast<unsigned>(op->number), a) && push(a + op->number2);
                    break;
                case DW_OP_dup: ok = pop(a) && push(a) && push(a); break;
                case DW_OP_drop: ok = pop(a); break;
                case DW_OP_pick:
                    ok = st.size() > op->number && push(st[st.size() - 1 - op->number]);
                    break;
                case DW_OP_over: ok = pop(a) && pop(b) && push(b) && push(a) && push(b); break;
                case DW_OP_swap: ok = pop(a) && pop(b) && push(a) && push(b); break;
                case DW_OP_rot: ok = pop(a) && pop(b) && pop(c) && push(a) && push(c) && push(b); break;
                case DW_OP_deref:
                case DW_OP_deref_size:
                    ok = pop(a) && read_stack_word(stack_, a, a);
                    if (ok && atom == DW_OP_deref_size) {
                        if (op->number > 8) return false;
                        if (op->number < 8) a &= (uint64_t{1} << (op->number * 8)) - 1;
                    }
                    ok = ok && push(a);
                    break;
                case DW_OP_abs:
                    ok = pop(a) && push(static_cast<uint64_t>(std::llabs(static_cast<int64_t>(a))));
                    break;
                case DW_OP_neg: ok = pop(a) && push(-a); break;
                case DW_OP_not: ok = pop(a) && push(~a); break;
                case DW_OP_plus_uconst: ok = pop(a) && push(a + op->number); break;
                case DW_OP_div:
                    ok = pop(b) && pop(a) && b != 0 &&
                         push(static_cast<uint64_t>(static_cast<int64_t>(a) / static_cast<int64_t>(b)));
                    break;
                case DW_OP_mod: ok = pop(b) && pop(a) && b != 0 && push(a % b); break;
                case DW_OP_and: case DW_OP_minus: case DW_OP_mul: case DW_OP_or: case DW_OP_plus:
                case DW_OP_shl: case DW_OP_shr: case DW_OP_shra: case DW_OP_xor:
                case DW_OP_le: case DW_OP_ge: case DW_OP_eq: case DW_OP_lt: case DW_OP_gt: case DW_OP_ne:
                    ok = pop(b) && pop(a) && push(binary(atom, a, b));
                    break;
                case DW_OP_bra:
                    if (!pop(a)) return false;
                    if (a == 0) break;
                    [[fallthrough]];
                case DW_OP_skip: {
                    const Dwarf_Word target = op->offset + 1 + 2 + static_cast<int16_t>(op->number);
                    const Dwarf_Op* found = nullptr;
                    for (const Dwarf_Op* o = ops; o < ops + nops; ++o)
                        if (o->offset == target) found = o;
                    if (found == nullptr) return false;
                    op = found - 1;  // the loop's ++op lands on it
                    break;
                }
                case DW_OP_nop: break;
                case DW_OP_call_frame_cfa: {
                    // Synthesized by libdw at the start of register rules.
                    Dwarf_Op* cfa_ops = nullptr;
                    size_t cfa_nops = 0;
                    ok = frame != nullptr && dwarf_frame_cfa(frame, &cfa_ops, &cfa_nops) == 0 &&
                         eval(nullptr, cfa_ops, cfa_nops, a) && push(a);
                    is_location = true;
                    break;
                }
                case DW_OP_stack_value: is_location = false; break;
                default: return false;
                }
            }
            if (!ok) return false;
        }
        if (!pop(result)) return false;
        return !is_location || read_stack_word(stack_, result, result);
    }

private:
    static uint64_t binary(uint8_t atom, uint64_t a, uint64_t b) {
        const auto sa = static_cast<int64_t>(a), sb = static_cast<int64_t>(b);
        switch (atom) {
        case DW_OP_and: return a & b;
        case DW_OP_minus: return a - b;
        case DW_OP_mul: return a * b;
        case DW_OP_or: return a | b;
        case DW_OP_plus: return a + b;
        case DW_OP_shl: return a << b;
        case DW_OP_shr: return a >> b;
        case DW_OP_shra: return static_cast<uint64_t>(sa >> sb);
        case DW_OP_xor: return a ^ b;
        case DW_OP_le: return sa <= sb;
        case DW_OP_ge: return sa >= sb;
        case DW_OP_eq: return sa == sb;
        case DW_OP_lt: return sa < sb;
        case DW_OP_gt: return sa > sb;
        default: return sa != sb;  // DW_OP_ne
        }
    }

    const FrameRegs& regs_;
    const StackSnapshot& stack_;
    uint64_t bias_;
};

}  // namespace

bool cfi_covers(Dwarf_CFI* cfi, uint64_t pc_in_cfi) {
    if (cfi == nullptr) return false;
    Dwarf_Frame* frame = nullptr;
    const bool found = dwarf_cfi_addrframe(cfi, pc_in_cfi, &frame) == 0;
    std::free(frame);
    return found;
}

std::optional<CallerFrame> cfi_step(Dwarf_CFI* cfi, uint64_t pc_in_cfi, uint64_t bias,
                                    const FrameRegs& regs, const StackSnapshot& stack) {
    if (cfi == nullptr) return std::nullopt;
    Dwarf_Frame* raw = nullptr;
    if (dwarf_cfi_addrframe(cfi, pc_in_cfi, &raw) != 0) return std::nullopt;
    FramePtr frame(raw);

    CallerFrame caller;
    bool signal = false;
    const int ra = dwarf_frame_info(frame.get(), nullptr, nullptr, &signal);
    caller.signal_frame = signal;
    if (ra < 0 || static_cast<unsigned>(ra) >= FrameRegs::kCount) return caller;  // no usable pc

    const ExprEval expr(regs, stack, bias);
    bool pc_undefined = false;
    for (unsigned regno = 0; regno < FrameRegs::kCount; ++regno) {
        Dwarf_Op ops_mem[3];
        Dwarf_Op* ops = nullptr;
        size_t nops = 0;
        if (dwarf_frame_register(frame.get(), static_cast<int>(regno), ops_mem, &ops, &nops) != 0)
            continue;
        uint64_t value = 0;
        if (nops == 0) {
            if (ops == ops_mem) {  // undefined
                if (regno == static_cast<unsigned>(ra)) pc_undefined = true;
                continue;
            }
            if (ops != nullptr || !regs.get(regno, value)) continue;  // same value, if known
        } else if (!expr.eval(frame.get(), ops, nops, value)) {
            // A rule that cannot be evaluated leaves the register unknown; the
            // walk goes on as long as the return address is known.
            continue;
        }
        caller.regs.set(regno, value);
    }
    uint64_t pc = 0;
    if (!pc_undefined && caller.regs.get(static_cast<unsigned>(ra), pc) && pc != 0) caller.pc = pc;
    return caller;
}

}  // namespace threadleak
