// Where one run's report goes: one destination per --output, each in its own
// format, or stderr. All are opened before the command starts, so a bad path
// fails before anything runs; each file is then written whole or not at all
// (OutputFile).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "formats/output_file.h"
#include "formats/report_format.h"

namespace threadleak {

/// One destination of the report.
struct OutputSpec {
    std::string path;    ///< "" = stderr
    std::string format;  ///< a registry name (report_format.h)

    bool operator==(const OutputSpec&) const = default;
};

class ReportOutputs {
public:
    /// Opens every output. Throws UserError (73) for a path that cannot be
    /// written (the outputs opened before it are discarded), and logic_error
    /// for a format name the registry lacks (the command line admits only its names).
    ReportOutputs(const std::vector<OutputSpec>& specs, const FormatOptions& options = {});

    /// Renders `report` into every output, then puts each file in place.
    /// Throws UserError (73) if writing one failed. May be called again (attach
    /// --interval): each file is then rewritten whole; stderr gets one more report.
    void write(const Report& report);

private:
    struct Output {
        std::string path;
        std::unique_ptr<ReportFormat> format;
        std::unique_ptr<OutputFile> file;
    };
    std::vector<Output> outputs_;
    bool written_ = false;  ///< a report was put in place: the next needs new files
};

}  // namespace threadleak
