// What every mode that observes processes is told by the command line: where
// the report goes, what the BPF side may use, which leaks are suppressed.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "analyze/suppressions.h"
#include "capture/bpf_session.h"
#include "common/errors.h"
#include "formats/format_options.h"
#include "formats/report_outputs.h"

namespace threadleak {

struct ObserveOptions {
    /// Where the report goes, each in its format (cli/output_flags.h); never empty.
    std::vector<OutputSpec> outputs{{"", "text"}};
    FormatOptions format_options;           ///< --stack, --weight (the flame-graph formats)
    int error_exitcode = exit_code::kDefaultLeaks;
    std::chrono::milliseconds sample_interval{20};
    BpfOptions bpf;
    int verbose = 0;
    /// Active suppressions, in the order they are tried: flags, files, defaults.
    std::vector<SuppressionRule> suppressions;
};

}  // namespace threadleak
