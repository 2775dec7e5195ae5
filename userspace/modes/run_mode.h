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
#include "formats/report_outputs.h"
#include "formats/format_options.h"

namespace threadleak {

struct RunOptions {
    std::vector<std::string> command;
    /// Where the report goes, each in its format (cli/output_flags.h); never empty.
    std::vector<OutputSpec> outputs{{"", "text"}};
    FormatOptions format_options;           ///< --stack, --weight (the flame-graph formats)
    int error_exitcode = exit_code::kDefaultLeaks;
    std::optional<std::chrono::nanoseconds> timeout;
    /// After the command exits, trace on until its descendants have exited
    /// too, instead of reporting (and killing) those still running as leaked processes.
    bool wait_descendants = false;
    std::chrono::milliseconds sample_interval{20};
    /// Attribute leaks to the tests of a GoogleTest or Boost.Test binary;
    /// a thread alive `settle` after its test ended is that test's leak.
    bool per_test = false;
    std::chrono::nanoseconds settle = std::chrono::milliseconds(100);
    BpfOptions bpf;
    int verbose = 0;
    /// Active suppressions, in the order they are tried: flags, files, defaults.
    std::vector<SuppressionRule> suppressions;
};

/// Runs the whole mode; returns the process exit code. Throws UserError.
int run_mode(const RunOptions& options);

}  // namespace threadleak
