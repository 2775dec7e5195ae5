// Turning one code address into a report Frame with a libdwfl session's
// modules: module file, offset, function and source line.
#pragma once

#include <string>

#include "dwfl_session.h"
#include "process_image.h"
#include "report.h"

namespace threadleak {

/// Symbolizes `frame` with the modules of `session` (none reported: all
/// "[unknown]"). A return address is looked up at pc - 1, the call
/// instruction, but reported with address = pc. `offset` is relative to the
/// module's load bias, as `addr2line -e module offset` expects (an absolute
/// address for fixed-address executables). Symbols come from .symtab,
/// .dynsym or .gnu_debugdata, lines from separate or embedded debug info.
Frame symbolize_with(const DwflSession& session, const RawFrame& frame);

/// abi::__cxa_demangle of a "_Z..." `name`, or `name` unchanged when it is
/// not a mangled C++ symbol or fails to demangle. A symbol version suffix ("write@@GLIBC_2.2.5") is
/// dropped first.
std::string demangle_symbol(const char* name);

}  // namespace threadleak
