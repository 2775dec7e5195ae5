#include "stacks/dwfl_symbolize.h"

// string.h already declares basename; without this libiberty.h redeclares it.
#define HAVE_DECL_BASENAME 1
#include <libiberty/demangle.h>

#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>

#include <dwarf.h>
#include <elfutils/libdw.h>

namespace threadleak {

std::string demangle_symbol(const char* name) {
    std::string raw(name);
    // Versioned names only appear in .symtab; mangled names never hold '@'.
    if (size_t at = raw.find('@'); at != std::string::npos && at > 0) raw.resize(at);
    // Only "_Z" (Itanium C++, Rust legacy) and "_R" (Rust v0) names are mangled
    // symbols: demanglers also accept type manglings, so a C function called
    // "i" would come back as "int".
    int style;
    if (raw.rfind("_Z", 0) == 0)
        style = DMGL_AUTO;  // tells Rust's legacy "..17h<hash>E" names from C++
    else if (raw.rfind("_R", 0) == 0)
        style = DMGL_RUST;
    else
        return raw;
    // libiberty (binutils' demangler) knows C++, Rust legacy and Rust v0.
    std::unique_ptr<char, decltype(&std::free)> demangled(
        cplus_demangle(raw.c_str(), DMGL_PARAMS | DMGL_ANSI | style), &std::free);
    if (demangled) return demangled.get();
    return raw;
}

namespace {

/// The name of an inlined_subroutine or subprogram DIE: its demangled
/// linkage name when it has one, else its plain DWARF name. Both are looked
/// up through DW_AT_abstract_origin / DW_AT_specification.
std::optional<std::string> scope_name(Dwarf_Die* die) {
    Dwarf_Attribute attr;
    for (int at : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
        if (const char* n = dwarf_formstring(dwarf_attr_integrate(die, at, &attr))) {
            return demangle_symbol(n);
        }
    }
    if (const char* n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr))) {
        return std::string(n);
    }
    return std::nullopt;
}

/// DW_AT_call_file / DW_AT_call_line of an inlined_subroutine DIE, resolved
/// through the line table of the unit that holds the DIE.
void call_site(Dwarf_Die* inlined, std::optional<std::string>& file, std::optional<int>& line) {
    Dwarf_Attribute attr;
    Dwarf_Word value = 0;
    if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &attr), &value) == 0 && value > 0 &&
        value <= static_cast<Dwarf_Word>(std::numeric_limits<int>::max())) {
        line = static_cast<int>(value);
    }
    if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &attr), &value) != 0) return;
    Dwarf_Die cu_mem;
    Dwarf_Die* cu = dwarf_diecu(inlined, &cu_mem, nullptr, nullptr);
    Dwarf_Files* files = nullptr;
    size_t nfiles = 0;
    if (cu == nullptr || dwarf_getsrcfiles(cu, &files, &nfiles) != 0 || value >= nfiles) return;
    if (const char* name = dwarf_filesrc(files, value, nullptr, nullptr)) file = name;
}

/// Appends to `frames` (which holds the innermost frame, already symbolized)
/// one frame per inline level around `pc` (a module-relative address as
/// dwfl_module_addrdie wants it). Each level's frame takes the function name
/// of its inlined_subroutine; the frame outside it takes its call site. The
/// last frame is the physical function: it keeps the symbol table's name.
void expand_inlines(Dwfl_Module* mod, Dwarf_Addr pc, std::vector<Frame>& frames) {
    Dwarf_Addr bias = 0;
    Dwarf_Die* cudie = dwfl_module_addrdie(mod, pc, &bias);
    if (cudie == nullptr) return;
    // dwarf_getscopes follows the innermost inlined_subroutine with the
    // scopes around its abstract definition (class, namespace), not with the
    // functions it was inlined into. So take only the innermost scope from
    // it, and its lexical nesting (inlined_subroutines up to the
    // subprogram) from dwarf_getscopes_die, as eu-addr2line -i does.
    Dwarf_Die* found = nullptr;
    const int nfound = dwarf_getscopes(cudie, pc - bias, &found);
    if (nfound <= 0) {
        std::free(found);
        return;
    }
    Dwarf_Die innermost = found[0];
    std::free(found);
    Dwarf_Die* scopes = nullptr;
    const int n = dwarf_getscopes_die(&innermost, &scopes);
    std::unique_ptr<Dwarf_Die, decltype(&std::free)> owned(scopes, &std::free);
    if (n <= 0) return;

    const Frame physical = frames.back();  // function name + offset from symbols
    for (int i = 0; i < n; ++i) {
        Dwarf_Die* scope = &scopes[i];
        const int tag = dwarf_tag(scope);
        if (tag == DW_TAG_subprogram) {
            // Without a symbol (debug info but no symbol table), name the
            // physical function from DWARF.
            if (!frames.back().function) frames.back().function = scope_name(scope);
            break;
        }
        if (tag != DW_TAG_inlined_subroutine) continue;  // lexical blocks etc.
        Frame& inner = frames.back();
        inner.function = scope_name(scope);
        Frame outer = physical;
        outer.file.reset();
        outer.line.reset();
        call_site(scope, outer.file, outer.line);
        frames.push_back(std::move(outer));
    }
}

}  // namespace

std::vector<Frame> symbolize_in_module(Dwfl_Module* mod, const RawFrame& raw) {
    std::vector<Frame> frames(1);
    Frame& f = frames.front();
    f.address = raw.pc;
    // The call instruction, not the one after it: a call that ends a function
    // (noreturn) returns to the next function's first byte.
    const uint64_t lookup = raw.is_return_address && raw.pc > 0 ? raw.pc - 1 : raw.pc;
    Dwarf_Addr bias = 0;
    if (dwfl_module_getelf(mod, &bias) == nullptr) bias = 0;
    f.offset = raw.pc - bias;

    GElf_Off sym_offset = 0;
    GElf_Sym sym;
    if (const char* fn = dwfl_module_addrinfo(mod, lookup, &sym_offset, &sym, nullptr, nullptr,
                                              nullptr)) {
        f.function = demangle_symbol(fn);
        f.function_offset = sym_offset + (raw.pc - lookup);
    }

    if (Dwfl_Line* line = dwfl_module_getsrc(mod, lookup)) {
        int lineno = 0;
        if (const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr)) {
            f.file = file;
            if (lineno > 0) f.line = lineno;
        }
    }
    expand_inlines(mod, lookup, frames);
    return frames;
}

Frame collapse_inline_frames(const std::vector<Frame>& frames) {
    if (frames.empty()) return Frame{};
    Frame f = frames.back();
    f.file = frames.front().file;
    f.line = frames.front().line;
    return f;
}

}  // namespace threadleak
