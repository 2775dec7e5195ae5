#include "formats/report_outputs.h"

#include <stdexcept>

namespace threadleak {

ReportOutputs::ReportOutputs(const std::vector<OutputSpec>& specs, const FormatOptions& options) {
    for (const OutputSpec& spec : specs) {
        auto format = make_report_format(spec.format, options);
        if (!format)
            throw std::logic_error("--format " + spec.format + " passed the option check but has no maker");
        outputs_.push_back({spec.path, std::move(format), std::make_unique<OutputFile>(spec.path)});
    }
}

void ReportOutputs::write(const Report& report) {
    // Another report (attach --interval): a new temporary file beside each.
    if (written_)
        for (Output& o : outputs_) o.file = std::make_unique<OutputFile>(o.path);
    // Every file is written and closed before the first is renamed into
    // place: a full disk found in any leaves all the older reports as they were.
    for (Output& o : outputs_) {
        o.format->write(report, o.file->stream());
        o.file->flush_and_close();
    }
    for (Output& o : outputs_) o.file->finish();
    written_ = true;
}

}  // namespace threadleak
