#include "golang/x86_refs.h"

#include <cstring>
#include <map>

namespace threadleak {

namespace {

/// Size of the immediate after the disp32 for opcodes we accept, -1 for others.
int immediate_size(uint8_t op) {
    switch (op) {
        case 0x8b: case 0x89: case 0x8d:  // mov load/store, lea
        case 0x3b: case 0x39:             // cmp reg, mem / mem, reg
        case 0x03: case 0x2b: case 0x87:  // add, sub, xchg
            return 0;
        case 0x83: case 0x80: case 0xc6:  // group-1 imm8, mov mem8, imm8
            return 1;
        case 0x81: case 0xc7:  // group-1 imm32, mov mem, imm32
            return 4;
        default:
            return -1;
    }
}

}  // namespace

std::vector<RipRef> rip_relative_refs(std::span<const uint8_t> code, uint64_t vaddr) {
    std::vector<RipRef> out;
    for (size_t i = 0; i < code.size(); ++i) {
        size_t p = i;
        if ((code[p] & 0xf0) == 0x40) ++p;  // REX
        if (p + 6 > code.size()) break;
        int imm = immediate_size(code[p]);
        if (imm < 0 || (code[p + 1] & 0xc7) != 0x05) continue;  // mod=00 rm=101: [rip+disp32]
        size_t len = (p - i) + 6 + static_cast<size_t>(imm);
        if (i + len > code.size()) continue;
        int32_t disp;
        std::memcpy(&disp, &code[p + 2], 4);
        out.push_back({vaddr + i, vaddr + i + len + static_cast<int64_t>(disp), code[p]});
    }
    return out;
}

std::optional<uint64_t> slice_header_target(const std::vector<RipRef>& refs) {
    std::map<uint64_t, int> count;
    for (const RipRef& r : refs) ++count[r.target];
    std::optional<uint64_t> best;
    int best_refs = 0;
    for (const auto& [t, n] : count) {  // ascending: ties keep the lowest T
        auto len = count.find(t + 8), cap = count.find(t + 16);
        if (len == count.end() || cap == count.end()) continue;
        int total = n + len->second + cap->second;
        if (total > best_refs) {
            best = t;
            best_refs = total;
        }
    }
    return best;
}

std::optional<uint64_t> first_cmp_immediate(std::span<const uint8_t> code) {
    for (size_t i = 0; i < code.size(); ++i) {
        size_t p = i;
        if ((code[p] & 0xf0) == 0x40) ++p;  // REX
        if (p + 2 > code.size()) break;
        uint8_t op = code[p], modrm = code[p + 1];
        if (op == 0x3c) return code[p + 1];  // cmp al, imm8
        if (op == 0x3d && p + 5 <= code.size()) {  // cmp eax, imm32
            uint32_t v;
            std::memcpy(&v, &code[p + 1], 4);
            return v;
        }
        if ((modrm & 0xf8) != 0xf8 || p + 3 > code.size()) continue;  // mod=11 reg=/7: cmp reg, imm
        if (op == 0x80 || op == 0x83) return code[p + 2];
        if (op == 0x81 && p + 6 <= code.size()) {
            uint32_t v;
            std::memcpy(&v, &code[p + 2], 4);
            return v;
        }
    }
    return std::nullopt;
}

}  // namespace threadleak
