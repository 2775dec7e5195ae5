// The report destination: --output FILE (opened before the command starts,
// so a bad path fails fast) or stderr.
#pragma once

#include <fstream>
#include <ostream>
#include <string>

namespace threadleak {

class OutputFile {
public:
    /// Throws UserError (73) if `path` cannot be written. "" means stderr.
    explicit OutputFile(const std::string& path);
    std::ostream& stream();
    /// Flushes; throws UserError if writing failed (disk full ...).
    void finish();

private:
    std::string path_;
    std::ofstream file_;
};

}  // namespace threadleak
