// Output formats: each renders the one Report model to a std::ostream.
// A new format is one new file plus one line in make_report_format().
#pragma once

#include <memory>
#include <ostream>
#include <string_view>

#include "report/report.h"

namespace threadleak {

class ReportFormat {
public:
    virtual ~ReportFormat() = default;
    virtual void write(const Report& report, std::ostream& out) const = 0;
};

/// "text" or "json"; nullptr for an unknown name.
std::unique_ptr<ReportFormat> make_report_format(std::string_view name);

}  // namespace threadleak
