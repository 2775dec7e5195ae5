// The list of output formats. Each format lives in its own file and exports
// only its maker, declared here rather than in a header: adding a format is one
// new file plus one line below.
#include "formats/report_format.h"

namespace threadleak {

std::unique_ptr<ReportFormat> make_text_format();  // text_format.cpp
std::unique_ptr<ReportFormat> make_json_format();  // json_format.cpp

std::unique_ptr<ReportFormat> make_report_format(std::string_view name) {
    if (name == "text") return make_text_format();
    if (name == "json") return make_json_format();
    return nullptr;
}

}  // namespace threadleak
