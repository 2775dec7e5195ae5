#include "formats/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <vector>

#include "common/errors.h"

namespace threadleak {
namespace {

UserError cannot_write(const std::string& path, int err) {
    return UserError(exit_code::kCantCreate,
                     "cannot write --output " + path + ": " + strerror(err) + "; choose a writable path");
}

/// "dir/.name.threadleak-XXXXXX" beside `path`, as mkstemp wants it.
std::string temp_template(const std::string& path) {
    const size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    return dir + "." + name + ".threadleak-XXXXXX";
}

}  // namespace

OutputFile::OutputFile(const std::string& path) : path_(path) {
    if (path_.empty()) return;
    struct stat st {};
    const bool exists = stat(path_.c_str(), &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) throw cannot_write(path_, EISDIR);
    if (exists && !S_ISREG(st.st_mode)) {  // a device or FIFO: nothing to replace
        file_.open(path_, std::ios::out | std::ios::trunc);
        if (!file_) throw cannot_write(path_, errno);
        return;
    }
    if (exists && access(path_.c_str(), W_OK) != 0) throw cannot_write(path_, errno);
    std::string name = temp_template(path_);
    std::vector<char> buf(name.begin(), name.end());
    buf.push_back('\0');
    const int fd = mkostemp(buf.data(), O_CLOEXEC);
    if (fd < 0) throw cannot_write(path_, errno);
    // mkstemp makes the file 0600; a report is as readable as any new file.
    const mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    close(fd);
    temp_path_ = buf.data();
    file_.open(temp_path_, std::ios::out | std::ios::trunc);
    if (!file_) {
        const int err = errno;
        unlink(temp_path_.c_str());
        temp_path_.clear();
        throw cannot_write(path_, err);
    }
}

OutputFile::~OutputFile() {
    if (!temp_path_.empty()) unlink(temp_path_.c_str());
}

std::ostream& OutputFile::stream() { return path_.empty() ? std::cerr : file_; }

void OutputFile::flush_and_close() {
    stream().flush();
    if (path_.empty() || closed_) return;
    file_.close();
    if (!file_)
        throw UserError(exit_code::kCantCreate, "writing --output " + path_ + " failed: " + strerror(errno));
    closed_ = true;
}

void OutputFile::finish() {
    flush_and_close();
    if (temp_path_.empty()) return;
    if (rename(temp_path_.c_str(), path_.c_str()) != 0)
        throw UserError(exit_code::kCantCreate,
                        "cannot put the report in --output " + path_ + ": " + strerror(errno));
    temp_path_.clear();
}

}  // namespace threadleak
