#include "formats/output_file.h"

#include <cerrno>
#include <cstring>
#include <iostream>

#include "common/errors.h"

namespace threadleak {

OutputFile::OutputFile(const std::string& path) : path_(path) {
    if (path_.empty()) return;
    file_.open(path_, std::ios::out | std::ios::trunc);
    if (!file_)
        throw UserError(exit_code::kCantCreate, "cannot write --output " + path_ + ": " + strerror(errno) +
                                                    "; choose a writable path");
}

std::ostream& OutputFile::stream() { return path_.empty() ? std::cerr : file_; }

void OutputFile::finish() {
    stream().flush();
    if (!path_.empty() && !file_)
        throw UserError(exit_code::kCantCreate, "writing --output " + path_ + " failed: " + strerror(errno));
}

}  // namespace threadleak
