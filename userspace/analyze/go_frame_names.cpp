#include "analyze/go_frame_names.h"

#include <map>
#include <memory>
#include <string>

#include "golang/go_binary.h"
#include "golang/go_pclntab.h"

namespace threadleak {
namespace {

std::map<std::string, std::shared_ptr<const GoSymbols>>& modules() {
    static std::map<std::string, std::shared_ptr<const GoSymbols>> by_module;
    return by_module;
}

/// The .gopclntab of `module`, or null when it is no Go executable (kept: asked once).
const GoSymbols* symbols_of(const std::string& module) {
    auto [it, added] = modules().try_emplace(module);
    if (added && !module.empty() && module.front() == '/' && is_go_binary(module)) {
        std::string why_not;
        it->second = GoSymbols::open(module, &why_not);
    }
    return it->second.get();
}

}  // namespace

void learn_go_module(const std::string& module, std::shared_ptr<const GoSymbols> symbols) {
    if (symbols) modules()[module] = std::move(symbols);
}

void name_go_frames(Stack& stack) {
    for (size_t i = 0; i < stack.size(); i++) {
        Frame& f = stack[i];
        if (f.function) continue;
        const GoSymbols* symbols = symbols_of(f.module);
        if (!symbols) continue;
        // f.offset is the link-time address: the module's load bias is taken off.
        const uint64_t pc = i == 0 ? f.offset : f.offset - 1;
        const std::optional<GoFunc> fn = symbols->lookup(pc);
        if (!fn) continue;
        f.function = fn->name;
        f.function_offset = f.offset - fn->entry;
        if (!fn->file.empty()) f.file = fn->file;
        if (fn->line > 0) f.line = fn->line;
    }
}

}  // namespace threadleak
