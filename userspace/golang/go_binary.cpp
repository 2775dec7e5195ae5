#include "golang/go_binary.h"

#include <elf.h>

#include <cstring>

#include "golang/elf_image.h"
#include "golang/go_buildinfo.h"
#include "golang/x86_refs.h"

namespace threadleak {

namespace {

constexpr uint64_t kStringHeader = 16;  // a Go string: (ptr, len)

bool writable(const ElfImage& image, uint64_t vaddr) {
    const ElfSegment* seg = image.segment_of(vaddr);
    return seg && (seg->flags & PF_W);
}

/// The code of the named function, from the pclntab's table of entries.
std::optional<std::pair<uint64_t, std::span<const uint8_t>>> function_code(
    const ElfImage& image, const GoSymbols& syms, const std::string& name) {
    auto entry = syms.entry_of(name);
    if (!entry) return std::nullopt;
    auto range = syms.range_of(*entry);
    if (!range) return std::nullopt;
    std::span<const uint8_t> code = image.bytes_at(range->first, range->second - range->first);
    if (code.empty()) return std::nullopt;
    return std::make_pair(range->first, code);
}

/// Only references into writable data: the globals, not rodata constants.
std::vector<RipRef> data_refs(const ElfImage& image, uint64_t vaddr, std::span<const uint8_t> code) {
    std::vector<RipRef> refs = rip_relative_refs(code, vaddr);
    std::erase_if(refs, [&](const RipRef& r) { return !writable(image, r.target); });
    return refs;
}

/// allgs when stripped: runtime.allgadd appends to it (allgs = append(allgs, gp)),
/// so it loads and stores the three words of the slice header.
std::optional<uint64_t> allgs_from_code(const ElfImage& image, const GoSymbols& syms) {
    auto fn = function_code(image, syms, "runtime.allgadd");
    if (!fn) return std::nullopt;
    return slice_header_target(data_refs(image, fn->first, fn->second));
}

/// waitReasonStrings when stripped: waitReason.String is
///   if w >= len(waitReasonStrings) { return "unknown wait reason" }; return waitReasonStrings[w]
/// so its first compare bounds the array and its one LEA into data is the array.
std::optional<std::pair<uint64_t, size_t>> wait_reasons_from_code(const ElfImage& image,
                                                                  const GoSymbols& syms) {
    auto fn = function_code(image, syms, "runtime.waitReason.String");
    if (!fn) return std::nullopt;
    std::optional<uint64_t> array;
    for (const RipRef& r : data_refs(image, fn->first, fn->second)) {
        if (r.opcode != 0x8d) continue;
        array = r.target;
        break;
    }
    auto count = first_cmp_immediate(fn->second);
    if (!array || !count || *count == 0 || *count > 255) return std::nullopt;  // waitReason is a uint8
    // Every reason but the first (waitReasonZero, "") is a short non-empty string:
    // a wrong bound or array shows as lengths of 0 or garbage. (Lengths, not
    // pointers: those may need relocating in a PIE.)
    std::span<const uint8_t> strings = image.bytes_at(*array, *count * kStringHeader);
    if (strings.empty()) return std::nullopt;
    for (size_t i = 1; i < *count; ++i) {
        uint64_t len = 0;
        std::memcpy(&len, strings.data() + i * kStringHeader + 8, 8);
        if (len == 0 || len > 128) return std::nullopt;
    }
    return std::make_pair(*array, static_cast<size_t>(*count));
}

}  // namespace

bool is_go_binary(const std::string& path) {
    auto image = ElfImage::open(path, nullptr);
    if (!image) return false;
    return has_go_buildinfo(*image) || image->section(".gopclntab") ||
           image->section(".data.rel.ro.gopclntab");
}

std::optional<GoBinary> read_go_binary(const std::string& path, std::string* why_not) {
    auto fail = [&](const std::string& why) {
        if (why_not) *why_not = path + ": " + why;
        return std::nullopt;
    };
    std::string why;
    auto image = ElfImage::open(path, &why);
    if (!image) {
        if (why_not) *why_not = why;
        return std::nullopt;
    }
    if (image->machine() != EM_X86_64) return fail("not an x86-64 program");
    auto version = read_go_version(*image, &why);
    if (!version) return fail("not a Go program: " + why);
    auto mm = go_major_minor(*version);
    if (mm && (mm->first < 1 || (mm->first == 1 && mm->second < 17)))
        return fail(*version + " is older than go1.17, which threadleak needs");

    GoBinary out;
    out.path = path;
    out.version = *version;
    out.pie = image->type() == ET_DYN;
    out.stripped = !image->has_symtab();
    out.has_dwarf = image->section(".debug_info") || image->section(".zdebug_info");

    std::string dwarf_why = "no DWARF";
    std::optional<GoOffsets> offsets;
    if (out.has_dwarf) offsets = go_offsets_from_dwarf(path, &dwarf_why);
    if (offsets) {
        out.offsets_from = "dwarf";
    } else {
        std::string row;
        offsets = go_offsets_from_table(*version, &row);
        if (!offsets)
            return fail(*version + ": " + dwarf_why +
                        " and no built-in runtime.g offsets for this version (go1.17 .. go1.23)");
        out.offsets_from = "table " + row;
    }
    out.offsets = *offsets;

    // .gopclntab is needed only when .symtab lacks something; open it lazily.
    std::unique_ptr<GoSymbols> syms;
    auto symbols = [&]() -> const GoSymbols* {
        if (!syms) syms = GoSymbols::from_image(*image, &why);
        return syms.get();
    };

    if (auto s = image->symbol("runtime.allgs")) {
        out.allgs = s->value;
        out.allgs_from = "symtab";
    } else if (const GoSymbols* gs = symbols(); gs) {
        if (auto a = allgs_from_code(*image, *gs)) {
            out.allgs = *a;
            out.allgs_from = "code";
        }
    }
    if (!out.allgs) return fail("runtime.allgs not found (no .symtab entry, not decodable from runtime.allgadd)");

    if (auto s = image->symbol("runtime.waitReasonStrings"); s && s->size >= kStringHeader) {
        out.wait_reason_strings = s->value;
        out.wait_reason_count = s->size / kStringHeader;
        out.wait_reasons_from = "symtab";
    } else if (const GoSymbols* gs = symbols(); gs) {
        if (auto w = wait_reasons_from_code(*image, *gs)) {
            out.wait_reason_strings = w->first;
            out.wait_reason_count = w->second;
            out.wait_reasons_from = "code";
        }
    }
    if (!out.wait_reason_strings)
        return fail("runtime.waitReasonStrings not found (no .symtab entry, not decodable from waitReason.String)");

    // Assembly functions are ABI0: .symtab names them "runtime.exit.abi0", the
    // pclntab "runtime.exit".
    for (const char* name : {"runtime.exit.abi0", "runtime.exit"}) {
        if (auto s = image->symbol(name)) {
            out.runtime_exit_vaddr = s->value;
            out.exit_from = "symtab";
            break;
        }
    }
    if (!out.runtime_exit_vaddr) {
        if (const GoSymbols* gs = symbols(); gs) {
            for (const char* name : {"runtime.exit", "runtime.exit.abi0"}) {
                if (auto e = gs->entry_of(name)) {
                    out.runtime_exit_vaddr = *e;
                    out.exit_from = "pclntab";
                    break;
                }
            }
        }
    }
    if (!out.runtime_exit_vaddr) return fail("runtime.exit not found (neither .symtab nor .gopclntab)");
    auto off = image->file_offset(out.runtime_exit_vaddr);
    if (!off) return fail("runtime.exit's address is not in a file-backed segment");
    out.runtime_exit_file_offset = *off;
    return out;
}

}  // namespace threadleak
