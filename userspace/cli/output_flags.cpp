#include "cli/output_flags.h"

#include <filesystem>
#include <set>

#include "cli/flag_values.h"
#include "common/errors.h"
#include "formats/text_escape.h"

namespace threadleak {
namespace {

/// "json" for "out/leaks.json", "pb.gz" for "leaks.pb.gz" (a registered
/// extension of several parts); "" for "/dev/stdout", ".hidden" or "name.".
std::string extension_of(const std::string& path) {
    const std::string name = std::filesystem::path(path).filename().string();
    const auto lower = [](std::string t) {
        for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return t;
    };
    for (const FormatInfo& f : report_formats()) {
        const std::string ext = "." + lower(std::string(f.extension));
        if (f.extension.find('.') != std::string_view::npos && name.size() > ext.size() &&
            lower(name).ends_with(ext))
            return name.substr(name.size() - ext.size() + 1);
    }
    const std::string ext = std::filesystem::path(path).extension().string();
    return ext.size() > 1 ? ext.substr(1) : "";
}

/// ".txt (text), .json (json) or .xml (junit)", from the registry.
std::string known_extensions() {
    std::vector<std::string> words;
    for (const FormatInfo& f : report_formats())
        words.push_back("." + std::string(f.extension) + " (" + std::string(f.name) + ")");
    return or_list(words);
}

/// "--output x.log has an unknown extension '.log'", "--output /dev/stdout has no extension".
std::string bad_extension(const std::string& path) {
    const std::string ext = extension_of(path);
    return "--output " + escape_text(path) +
           (ext.empty() ? " has no extension" : " has an unknown extension '." + escape_text(ext) + "'");
}

UserError usage(const std::string& message) { return UserError(exit_code::kUsage, message); }

OutputSpec single_output(const std::string& path, const std::optional<std::string>& format) {
    if (format) return {path, *format};
    const std::string ext = extension_of(path);
    if (ext.empty()) return {path, kDefaultFormat};
    if (const FormatInfo* f = format_for_extension(ext)) return {path, std::string(f->name)};
    throw usage(bad_extension(path) + "; name it " + known_extensions() +
                ", or choose the format with --format");
}

}  // namespace

std::vector<OutputSpec> output_specs(const OutputFlags& flags) {
    const std::vector<std::string>& paths = flags.paths;
    const std::optional<std::string>& format = flags.format;
    if (paths.empty()) return {{"", format.value_or(kDefaultFormat)}};
    std::set<std::string> seen;
    for (const std::string& path : paths)
        if (!seen.insert(path).second)
            throw usage("--output " + escape_text(path) + " is given twice; name each file once");
    if (paths.size() == 1) return {single_output(paths.front(), format)};

    std::vector<OutputSpec> specs;
    for (const std::string& path : paths) {
        const FormatInfo* f = format_for_extension(extension_of(path));
        if (!f) throw usage(bad_extension(path) + "; with several --output, name each " + known_extensions());
        if (format && *format != f->name)
            throw usage("--format " + *format + " contradicts --output " + escape_text(path) + " (" +
                        std::string(f->name) + "); with several --output, each takes its format from its "
                        "extension: drop --format");
        specs.push_back({path, std::string(f->name)});
    }
    return specs;
}

std::string extensions_text() {
    std::string text;
    for (const FormatInfo& f : report_formats())
        text += (text.empty() ? "." : ", .") + std::string(f.extension) + " " + std::string(f.name);
    return text;
}

}  // namespace threadleak
