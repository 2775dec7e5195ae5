// `threadleak run -- CMD`: trace a command to its exit and report the threads
// it leaked, like a sanitizer.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "modes/observe_options.h"

namespace threadleak {

struct RunOptions : ObserveOptions {
    std::vector<std::string> command;
    std::optional<std::chrono::nanoseconds> timeout;
    /// After the command exits, trace on until its descendants have exited
    /// too, instead of reporting (and killing) those still running as leaked processes.
    bool wait_descendants = false;
    /// Attribute leaks to the tests of a GoogleTest or Boost.Test binary;
    /// a thread alive `settle` after its test ended is that test's leak.
    bool per_test = false;
    std::chrono::nanoseconds settle = std::chrono::milliseconds(100);
};

/// Runs the whole mode; returns the process exit code. Throws UserError.
int run_mode(const RunOptions& options);

}  // namespace threadleak
