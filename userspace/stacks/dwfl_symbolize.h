// Turning one code address of a libdwfl module into report Frames: offset,
// function (demangled, inline levels expanded) and source line.
#pragma once

#include <string>
#include <vector>

#include <elfutils/libdwfl.h>

#include "stacks/stack_types.h"

namespace threadleak {

/// Symbolizes `frame`, an address in `mod`'s address space. A return
/// address is looked up at pc - 1, the call instruction, but reported with
/// address = pc. `offset` is relative to the module's bias, as
/// `addr2line -e module offset` expects (an absolute address for
/// fixed-address executables); `module` is left empty for the caller, who
/// knows the name the process mapped the file by. Symbols come from .symtab,
/// .dynsym or .gnu_debugdata, lines from separate or embedded debug info.
///
/// Inlined calls are expanded as `addr2line -i` does:
/// one frame per inline level, innermost first, never empty. The first frame
/// is the innermost inlined function at its own file:line; each following
/// frame is the function that inlined the one before it, at the call site
/// (DW_AT_call_file / DW_AT_call_line); the last one is the physical function,
/// named from the symbol table. All of them share address, offset and
/// function_offset (the pc's offset into the physical symbol). Inline levels
/// are named by their demangled linkage name, else their plain DWARF name.
/// Without inline information for the pc the result is one frame.
std::vector<Frame> symbolize_in_module(Dwfl_Module* mod, const RawFrame& frame);

/// The one-frame view of symbolize_inline_with's frames: the last (physical)
/// frame with the first (innermost) frame's file and line.
Frame collapse_inline_frames(const std::vector<Frame>& frames);

/// libiberty's demangling of a "_Z..." (C++, Rust legacy) or "_R..." (Rust v0)
/// `name`, or `name` unchanged when it is not a mangled symbol or fails to
/// demangle. A symbol version suffix ("write@@GLIBC_2.2.5") is dropped first.
std::string demangle_symbol(const char* name);

}  // namespace threadleak
