// The "folded" format: one line per distinct stack, `frame;frame;...;frame
// COUNT`, root first, as flamegraph.pl, inferno and speedscope read it (the
// stacks of formats/flame_stacks.h). COUNT is leaked threads, or with
// --weight time the milliseconds they were blocked, summed: a whole number,
// as inferno wants it. Lines are sorted and distinct; a stack that weighs 0
// draws nothing and is left out, so a report without leaks is empty.
#include <map>
#include <memory>
#include <string>

#include "formats/flame_stacks.h"
#include "formats/report_format.h"
#include "formats/text_escape.h"

namespace threadleak {
namespace {

constexpr uint64_t kNsPerMs = 1'000'000;

/// A frame as escape_text shows it (no control byte, so no line break, and
/// no bidi control or invalid UTF-8), with `;` replaced: a name cannot split
/// a frame in two.
std::string folded_frame(const std::string& text) {
    std::string s = escape_text(text);
    for (char& c : s)
        if (c == ';') c = '_';
    return s;
}

class FoldedFormat final : public ReportFormat {
public:
    explicit FoldedFormat(const FormatOptions& options) : options_(options) {}

    void write(const Report& report, std::ostream& out) const override {
        const FlameStacks flame = flame_stacks(report, options_);
        std::map<std::string, uint64_t> lines;  // escaping may make two stacks read the same
        for (const WeightedStack& s : flame.stacks) {
            const uint64_t weight = flame.weight(s, kNsPerMs);
            if (weight == 0) continue;
            std::string line;
            for (const FlameFrame& f : s.frames) {
                if (!line.empty()) line += ';';
                line += folded_frame(f.text);
            }
            lines[line] += weight;
        }
        for (const auto& [line, weight] : lines) out << line << ' ' << weight << '\n';
    }

private:
    FormatOptions options_;
};

}  // namespace

/// Declared in report_format.cpp, the one place that lists the formats.
std::unique_ptr<ReportFormat> make_folded_format(const FormatOptions& options) {
    return std::make_unique<FoldedFormat>(options);
}

}  // namespace threadleak
