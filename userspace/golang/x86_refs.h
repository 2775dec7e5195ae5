// The few amd64 instruction forms the stripped-binary fallbacks need, decoded
// from raw bytes with no disassembler: RIP-relative memory operands (where the
// Go compiler's globals are referenced) and compares with an immediate.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace threadleak {

struct RipRef {
    uint64_t insn = 0;    ///< vaddr of the instruction
    uint64_t target = 0;  ///< the address it references
    uint8_t opcode = 0;   ///< 0x8b load, 0x89 store, 0x8d lea, ...
};

/// Every [REX] op modrm(mod=00, rm=101) disp32 [imm] at any byte offset of `code`
/// (which starts at `vaddr`). A byte-wise scan, so a few matches may be bytes
/// inside other instructions: callers filter by where the targets land.
std::vector<RipRef> rip_relative_refs(std::span<const uint8_t> code, uint64_t vaddr);

/// A slice header among the references: a target T with T, T+8 and T+16 all
/// referenced (ptr, len, cap). The most referenced such T; nullopt when none.
std::optional<uint64_t> slice_header_target(const std::vector<RipRef>& refs);

/// The immediate of the first compare of a register with a constant in `code`
/// (cmp al/eax/r/m8/r/m32 with imm8/imm32, register operand only): a bounds check.
std::optional<uint64_t> first_cmp_immediate(std::span<const uint8_t> code);

}  // namespace threadleak
