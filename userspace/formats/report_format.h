// Output formats: each renders the one Report model to a std::ostream. The
// registry (report_format.cpp) lists them; the command line's --format check
// and help, and the golden-output test, are built from that one table.
#pragma once

#include <memory>
#include <ostream>
#include <string_view>
#include <vector>

#include "formats/format_options.h"
#include "report/report.h"

namespace threadleak {

class ReportFormat {
public:
    virtual ~ReportFormat() = default;
    virtual void write(const Report& report, std::ostream& out) const = 0;
};

/// One row of the registry. Adding a format is one new file (defining its
/// maker) plus its row. A maker gets the command line's FormatOptions; a
/// format that draws no stacks ignores them.
struct FormatInfo {
    std::string_view name;         ///< the --format value
    std::string_view description;  ///< one line for --help
    std::string_view extension;    ///< file name extension, without the dot
    std::unique_ptr<ReportFormat> (*make)(const FormatOptions&);
    bool binary = false;           ///< not text: written only to --output FILE, never to stderr
};

/// Every format, in the order --help lists them.
const std::vector<FormatInfo>& report_formats();

/// The format called `name`; nullptr for an unknown name.
std::unique_ptr<ReportFormat> make_report_format(std::string_view name, const FormatOptions& options = {});

/// The row whose extension is `extension` (without the dot, any ASCII case:
/// "XML" finds junit); nullptr when no row has it.
const FormatInfo* format_for_extension(std::string_view extension);

}  // namespace threadleak
