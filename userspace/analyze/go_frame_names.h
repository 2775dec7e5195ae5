// Names the frames of Go executables that the ELF symbolizer could not: a
// stripped Go binary (-ldflags=-s -w, or strip(1)) has no .symtab and no
// DWARF, but keeps .gopclntab, the table Go's own tracebacks use. Without
// this, the runtime's threads of every stripped Go program would go
// unrecognised by the default suppressions ("ignore-top runtime.*").
#pragma once

#include <memory>
#include <string>

#include "golang/go_pclntab.h"
#include "stacks/stack_types.h"

namespace threadleak {

/// Gives each frame without a function whose module is a Go executable its
/// function and file:line from that module's .gopclntab. `stack` is innermost
/// first: frames after the first hold return addresses (looked up at pc - 1).
/// Each module is read once per threadleak run.
void name_go_frames(Stack& stack);

/// `module` (a path as mappings name it) is a Go executable with these
/// symbols: learnt while its process runs, since a `go test` binary is
/// deleted as soon as it exits, before the report names its frames.
void learn_go_module(const std::string& module, std::shared_ptr<const GoSymbols> symbols);

}  // namespace threadleak
