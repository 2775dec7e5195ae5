#include "capture/proc_cmdline.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace threadleak {

std::vector<std::string> split_cmdline(const std::string& bytes) {
    std::vector<std::string> args;
    size_t start = 0;
    while (start < bytes.size()) {
        size_t end = bytes.find('\0', start);
        if (end == std::string::npos) end = bytes.size();
        args.push_back(bytes.substr(start, end - start));
        start = end + 1;
    }
    return args;
}

ProcCmdline read_proc_cmdline(int pid, size_t max_bytes) {
    ProcCmdline out;
    const std::string path = "/proc/" + std::to_string(pid) + "/cmdline";
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return out;
    // One byte more than kept tells whether there was more.
    std::string bytes(max_bytes + 1, '\0');
    size_t got = 0;
    while (got < bytes.size()) {
        const ssize_t n = read(fd, bytes.data() + got, bytes.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<size_t>(n);
    }
    close(fd);
    out.truncated = got > max_bytes;
    bytes.resize(std::min(got, max_bytes));
    out.args = split_cmdline(bytes);
    return out;
}

}  // namespace threadleak
