#include "stacks/dwfl_unwind.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <new>

namespace threadleak {

namespace {
constexpr int kRegCount = 17;  // x86_64 DWARF 0 (rax) .. 16 (rip)
constexpr unsigned kSpReg = 7;
constexpr size_t kPc = 16;
}  // namespace

struct DwflUnwinder::Request {
    const DwflUnwinder* self = nullptr;
    const StackSnapshot* snap = nullptr;
    std::array<Dwarf_Word, kRegCount> regs{};  ///< initial state handed to libdwfl
    pid_t tid = 0;
    /// regs[16] is a return address minus one (see unwind()); the first frame
    /// libdwfl reports is then a caller, not the interrupted instruction.
    bool restarted = false;
    size_t max_frames = 0;
    std::vector<RawFrame>* out = nullptr;
    size_t frames_this_run = 0;
    Dwarf_Addr prev_pc = 0;
    Dwarf_Word prev_sp = 0;
};

namespace {

using Request = DwflUnwinder::Request;

// The copy starts at the captured sp and nothing else of the target's memory
// is available: reads outside it fail, which ends the unwind there.
bool read_stack_word(const StackSnapshot& snap, uint64_t addr, uint64_t& value) {
    const uint64_t base = snap.regs[kSpReg];
    if (addr < base) return false;
    const uint64_t off = addr - base;
    if (off > snap.stack.size() || snap.stack.size() - off < sizeof value) return false;
    std::memcpy(&value, snap.stack.data() + off, sizeof value);
    return true;
}

// dwfl_arg of the attached state is the unwinder's `current_` slot, so the
// callbacks always see the request being served.
Request* current_request(void* dwfl_arg) { return *static_cast<Request**>(dwfl_arg); }

pid_t next_thread(Dwfl*, void* dwfl_arg, void** thread_argp) {
    Request* r = current_request(dwfl_arg);
    if (r == nullptr || *thread_argp != nullptr) return 0;
    *thread_argp = r;
    return r->tid;
}

bool set_initial_registers(Dwfl_Thread* thread, void* thread_arg) {
    auto* r = static_cast<Request*>(thread_arg);
    return dwfl_thread_state_registers(thread, 0, kRegCount, r->regs.data());
}

bool memory_read(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* dwfl_arg) {
    Request* r = current_request(dwfl_arg);
    uint64_t value = 0;
    if (r == nullptr || !read_stack_word(*r->snap, addr, value)) return false;
    *result = value;
    return true;
}

const Dwfl_Thread_Callbacks kThreadCallbacks = {
    .next_thread = next_thread,
    .get_thread = nullptr,
    .memory_read = memory_read,
    .set_initial_registers = set_initial_registers,
    .detach = nullptr,
    .thread_detach = nullptr,
};

int on_frame(Dwfl_Frame* frame, void* arg) {
    auto* r = static_cast<Request*>(arg);
    Dwarf_Addr pc = 0;
    bool activation = false;
    if (!dwfl_frame_pc(frame, &pc, &activation)) return DWARF_CB_ABORT;
    const bool first = r->frames_this_run == 0;
    bool is_return = !activation;
    if (first && r->restarted) {
        pc += 1;
        is_return = true;
    }
    if (pc == 0) return DWARF_CB_ABORT;
    Dwarf_Word sp = 0;
    if (dwfl_frame_reg(frame, kSpReg, &sp) != 0) sp = 0;
    if (!first && pc == r->prev_pc && sp == r->prev_sp) return DWARF_CB_ABORT;
    r->prev_pc = pc;
    r->prev_sp = sp;
    ++r->frames_this_run;

    try {
        r->out->push_back({pc, is_return});
    } catch (const std::bad_alloc&) {
        return DWARF_CB_ABORT;  // never let an exception cross libdwfl's C frames
    }
    if (r->out->size() >= r->max_frames) return DWARF_CB_ABORT;
    // Without CFI here libdwfl would guess the caller from rbp, which is
    // not a frame pointer in Debian's glibc/libstdc++: stop instead. (The
    // unrestarted first frame was checked before the unwind started.)
    if (!first || r->restarted) {
        if (!r->self->has_cfi(is_return ? pc - 1 : pc)) return DWARF_CB_ABORT;
    }
    return DWARF_CB_OK;
}

bool cfi_covers(Dwarf_CFI* cfi, Dwarf_Addr addr) {
    if (cfi == nullptr) return false;
    Dwarf_Frame* frame = nullptr;
    const bool found = dwarf_cfi_addrframe(cfi, addr, &frame) == 0;
    std::free(frame);
    return found;
}

}  // namespace

bool DwflUnwinder::has_cfi(uint64_t pc) const {
    Dwfl_Module* mod = session_.module_at(pc);
    if (mod == nullptr) return false;
    Dwarf_Addr bias = 0;
    // Same order as libdwfl's own unwinder, so "covered" here means libdwfl
    // will use CFI for this pc too.
    Dwarf_CFI* eh = dwfl_module_eh_cfi(mod, &bias);  // sets bias: keep separate
    if (cfi_covers(eh, pc - bias)) return true;
    Dwarf_CFI* dwarf = dwfl_module_dwarf_cfi(mod, &bias);
    return cfi_covers(dwarf, pc - bias);
}

bool DwflUnwinder::attach() {
    Dwfl* dwfl = session_.get();
    if (dwfl == nullptr) return false;
    if (attached_to_ == dwfl) return true;
    Elf* backend = session_.backend_elf();
    if (backend == nullptr) return false;
    if (!dwfl_attach_state(dwfl, backend, pid_ > 0 ? pid_ : 1, &kThreadCallbacks, &current_)) {
        return false;
    }
    attached_to_ = dwfl;
    return true;
}

std::vector<RawFrame> DwflUnwinder::unwind(const StackSnapshot& snap, int tid, size_t max_frames) {
    std::vector<RawFrame> out;
    const uint64_t pc0 = snap.regs[kPc];
    if (max_frames == 0 || pc0 == 0) return out;

    Request r;
    r.self = this;
    r.snap = &snap;
    std::copy(snap.regs.begin(), snap.regs.end(), r.regs.begin());
    // libdwfl treats tid 0 as "no more threads".
    r.tid = tid > 0 ? tid : (pid_ > 0 ? pid_ : 1);
    r.max_frames = max_frames;
    r.out = &out;

    uint64_t return_address = 0;
    if (!has_cfi(pc0)) {
        // glibc's clone/clone3 end their FDE before `syscall`, and code with
        // no module (JIT, unknown mapping) has no CFI either. At such a pc the
        // caller's return address is usually still at [sp] (a leaf that has
        // pushed nothing), so restart from there as if the leaf had returned.
        out.push_back({pc0, false});
        if (out.size() >= max_frames) return out;
        if (!read_stack_word(snap, snap.regs[kSpReg], return_address) || return_address == 0 ||
            session_.module_at(return_address - 1) == nullptr) {
            return out;
        }
        // Unwind from the call instruction (ret - 1): libdwfl looks up the
        // initial frame's CFI at its exact pc, and a call that ends a
        // function would otherwise find the next function's CFI.
        r.regs[kPc] = return_address - 1;
        r.regs[kSpReg] = snap.regs[kSpReg] + 8;
        r.restarted = true;
    }

    if (attach()) {
        current_ = &r;
        dwfl_getthread_frames(session_.get(), r.tid, on_frame, &r);
        current_ = nullptr;
    }

    if (out.empty()) {
        out.push_back({pc0, false});
    } else if (r.restarted && r.frames_this_run == 0 && out.size() < max_frames) {
        out.push_back({return_address, true});
    }
    return out;
}

}  // namespace threadleak
