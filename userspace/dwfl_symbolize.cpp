#include "dwfl_symbolize.h"

#include <cxxabi.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace threadleak {

std::string demangle_symbol(const char* name) {
    std::string raw(name);
    // Versioned names only appear in .symtab; mangled names never hold '@'.
    if (size_t at = raw.find('@'); at != std::string::npos && at > 0) raw.resize(at);
    // Only "_Z" names are symbols: __cxa_demangle also accepts type manglings,
    // so a C function called "i" would come back as "int".
    if (raw.rfind("_Z", 0) != 0) return raw;
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> demangled(
        abi::__cxa_demangle(raw.c_str(), nullptr, nullptr, &status), &std::free);
    if (status == 0 && demangled) return demangled.get();
    return raw;
}

Frame symbolize_with(const DwflSession& session, const RawFrame& raw) {
    Frame f;
    f.address = raw.pc;
    // The call instruction, not the one after it: a call that ends a function
    // (noreturn) returns to the next function's first byte.
    const uint64_t lookup = raw.is_return_address && raw.pc > 0 ? raw.pc - 1 : raw.pc;

    Dwfl_Module* mod = session.module_at(lookup);
    if (mod == nullptr) {
        f.module = "[unknown]";
        f.offset = raw.pc;
        return f;
    }
    const char* name =
        dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
    f.module = name != nullptr ? name : "[unknown]";
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
    return f;
}

}  // namespace threadleak
