// The report destination: --output FILE or stderr. A regular file is written
// whole or not at all: the report goes to a temporary file beside it, renamed
// over FILE only once complete, so a killed threadleak never leaves FILE
// truncated (an older report there stays intact). Devices and FIFOs
// (/dev/stdout, a pipe) are written directly.
#pragma once

#include <fstream>
#include <ostream>
#include <string>

namespace threadleak {

class OutputFile {
public:
    /// Throws UserError (73) if `path` cannot be written, before anything
    /// runs. "" means stderr.
    explicit OutputFile(const std::string& path);
    /// Removes the temporary file if finish() was not reached.
    ~OutputFile();
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;

    std::ostream& stream();
    /// Flushes and closes the file; throws UserError (73) if writing failed
    /// (disk full ...). Lets several outputs be checked before any is put in place.
    void flush_and_close();
    /// flush_and_close() unless done, and for a regular file renames it into place;
    /// throws UserError (73) if writing failed.
    void finish();

private:
    std::string path_;
    std::string temp_path_;  ///< "" when writing `path_` directly
    std::ofstream file_;
    bool closed_ = false;
};

}  // namespace threadleak
