// `threadleak run -- CMD`: trace a command to its exit and report the threads
// it leaked, like a sanitizer.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "analyze/suppressions.h"
#include "capture/bpf_session.h"
#include "common/errors.h"
#include "formats/format_options.h"

namespace threadleak {

struct RunOptions {
    std::vector<std::string> command;
    std::string format = "text";
    FormatOptions format_options;           ///< --stack, --weight (the flame-graph formats)
    std::string output;                     ///< "" = stderr
    int error_exitcode = exit_code::kDefaultLeaks;
    std::optional<std::chrono::nanoseconds> timeout;
    /// After the command exits, trace on until its descendants have exited
    /// too, instead of reporting (and killing) those still running as leaked processes.
    bool wait_descendants = false;
    std::chrono::milliseconds sample_interval{20};
    BpfOptions bpf;
    int verbose = 0;
    /// Active suppressions, in the order they are tried: flags, files, defaults.
    std::vector<SuppressionRule> suppressions;
};

/// Runs the whole mode; returns the process exit code. Throws UserError.
int run_mode(const RunOptions& options);

}  // namespace threadleak
