// The registry of output formats. Each format lives in its own file and
// exports only its maker, declared here rather than in a header: adding a
// format is one new file plus its maker's declaration and its row below.
#include "formats/report_format.h"

#include <algorithm>
#include <cctype>

namespace threadleak {

std::unique_ptr<ReportFormat> make_text_format(const FormatOptions&);    // text_format.cpp
std::unique_ptr<ReportFormat> make_json_format(const FormatOptions&);    // json_format.cpp
std::unique_ptr<ReportFormat> make_junit_format(const FormatOptions&);   // junit_format.cpp
std::unique_ptr<ReportFormat> make_pprof_format(const FormatOptions&);   // pprof_format.cpp
std::unique_ptr<ReportFormat> make_folded_format(const FormatOptions&);  // folded_format.cpp
std::unique_ptr<ReportFormat> make_svg_format(const FormatOptions&);     // svg_format.cpp
std::unique_ptr<ReportFormat> make_html_format(const FormatOptions&);    // html_format.cpp

const std::vector<FormatInfo>& report_formats() {
    static const std::vector<FormatInfo> formats = {
        {"text", "sanitizer-style report, for people", "txt", make_text_format},
        {"json", "for programs (docs/json-schema.md)", "json", make_json_format},
        {"junit", "for CI test reports (docs/junit.md)", "xml", make_junit_format},
        {"pprof", "for go tool pprof, Parca, Pyroscope", "pb.gz",
         make_pprof_format, true},
        {"folded", "lines for flamegraph.pl and speedscope", "folded", make_folded_format},
        {"svg", "interactive flame graph of the leaks", "svg", make_svg_format},
        {"html", "self-contained page with the flame graph", "html", make_html_format},
    };
    return formats;
}

std::unique_ptr<ReportFormat> make_report_format(std::string_view name, const FormatOptions& options) {
    for (const FormatInfo& f : report_formats())
        if (f.name == name) return f.make(options);
    return nullptr;
}

const FormatInfo* format_for_extension(std::string_view extension) {
    const auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
    for (const FormatInfo& f : report_formats())
        if (std::ranges::equal(f.extension, extension, {}, {}, lower)) return &f;
    return nullptr;
}

}  // namespace threadleak
