// The "svg" format: the leaks as an interactive flame graph, one standalone
// file (formats/flame_svg.h draws it; its script and style are inside, in
// CDATA). No external script, font or image: it works opened from disk.
#include <memory>
#include <string>

#include "formats/flame_stacks.h"
#include "formats/flame_svg.h"
#include "formats/report_format.h"

namespace threadleak {

namespace {

class SvgFormat final : public ReportFormat {
public:
    explicit SvgFormat(const FormatOptions& options) : options_(options) {}

    void write(const Report& report, std::ostream& out) const override {
        write_flame_svg(flame_stacks(report, options_), flame_subject(report.session), SvgEmbedding::Standalone,
                        out);
    }

private:
    FormatOptions options_;
};

}  // namespace

/// Declared in report_format.cpp, the one place that lists the formats.
std::unique_ptr<ReportFormat> make_svg_format(const FormatOptions& options) {
    return std::make_unique<SvgFormat>(options);
}

}  // namespace threadleak
