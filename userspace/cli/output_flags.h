// -o/--output (repeatable) and --format, turned into the run's report
// destinations. Each output's format comes from its file name's extension
// through the format registry (json -> json, xml -> junit, txt -> text):
// - no --output: stderr, in --format (default text);
// - one --output: --format if given, else its extension's format; a name
//   without an extension (/dev/stdout, a FIFO) is text;
// - several: each by its extension, which must be a known one; --format is
//   refused unless it is the format of every one of them (then it changes nothing).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "formats/report_outputs.h"

namespace threadleak {

/// "text": the format of stderr and of a single output without an extension.
inline constexpr const char* kDefaultFormat = "text";

/// What -o/--output and --format collect while the command line is parsed.
struct OutputFlags {
    std::vector<std::string> paths;     ///< every -o, in order
    std::optional<std::string> format;  ///< --format, when given
};

/// The destinations the flags ask for, in --output order. Throws
/// UserError(exit_code::kUsage) with one line naming the known extensions
/// for an unknown or (with several) missing extension, a --format that
/// contradicts several outputs, or a path given twice.
std::vector<OutputSpec> output_specs(const OutputFlags& flags);

/// ".txt text, .json json, .xml junit": each registry row's extension and
/// name, for --output's help.
std::string extensions_text();

}  // namespace threadleak
