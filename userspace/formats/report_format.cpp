// The registry of output formats. Each format lives in its own file and
// exports only its maker, declared here rather than in a header: adding a
// format is one new file plus its maker's declaration and its row below.
#include "formats/report_format.h"

#include <algorithm>
#include <cctype>

namespace threadleak {

std::unique_ptr<ReportFormat> make_text_format();  // text_format.cpp
std::unique_ptr<ReportFormat> make_json_format();  // json_format.cpp
std::unique_ptr<ReportFormat> make_junit_format(); // junit_format.cpp
std::unique_ptr<ReportFormat> make_pprof_format();  // pprof_format.cpp

const std::vector<FormatInfo>& report_formats() {
    static const std::vector<FormatInfo> formats = {
        {"text", "sanitizer-style report, for people", "txt", make_text_format},
        {"json", "for programs (docs/json-schema.md)", "json", make_json_format},
        {"junit", "for CI test reports (docs/junit.md)", "xml", make_junit_format},
        {"pprof", "for go tool pprof, Parca, Pyroscope", "pb.gz",
         make_pprof_format, true},
    };
    return formats;
}

std::unique_ptr<ReportFormat> make_report_format(std::string_view name) {
    for (const FormatInfo& f : report_formats())
        if (f.name == name) return f.make();
    return nullptr;
}

const FormatInfo* format_for_extension(std::string_view extension) {
    const auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
    for (const FormatInfo& f : report_formats())
        if (std::ranges::equal(f.extension, extension, {}, {}, lower)) return &f;
    return nullptr;
}

}  // namespace threadleak
