#include "capture/libc_paths.h"

#include <sys/stat.h>

#include <set>
#include <utility>

#include "capture/proc_maps_line.h"
#include "capture/proc_text.h"

namespace threadleak {
namespace {

/// "libc.so.6", "libc-2.31.so", "libc.musl-x86_64.so.1": a C library's file name.
bool is_libc(const std::string& path) {
    const std::string name = path.substr(path.rfind('/') + 1);
    return name.rfind("libc.so", 0) == 0 || name.rfind("libc-", 0) == 0 || name.rfind("libc.musl", 0) == 0 ||
           name.rfind("ld-musl", 0) == 0;
}

/// The C library paths in one maps file, each prefixed with `root`.
std::vector<std::string> libcs_in(const std::string& maps_path, const std::string& root) {
    std::vector<std::string> out;
    const std::string maps = read_proc_text(maps_path);
    size_t start = 0;
    while (start < maps.size()) {
        size_t end = maps.find('\n', start);
        if (end == std::string::npos) end = maps.size();
        if (std::optional<MapsEntry> line = parse_maps_line(std::string_view(maps).substr(start, end - start));
            line && line->executable && is_file_backed_path(line->mapping.path) && is_libc(line->mapping.path))
            out.push_back(root + line->mapping.path);
        start = end + 1;
    }
    return out;
}

}  // namespace

std::vector<std::string> libc_paths(const std::vector<int>& pids) {
    std::vector<std::string> candidates = libcs_in("/proc/self/maps", "");
    for (int pid : pids) {
        const std::string proc = "/proc/" + std::to_string(pid);
        for (std::string& path : libcs_in(proc + "/maps", proc + "/root")) candidates.push_back(std::move(path));
    }
    std::vector<std::string> out;
    std::set<std::pair<dev_t, ino_t>> seen;
    for (const std::string& path : candidates) {
        struct stat st;
        if (stat(path.c_str(), &st) == 0 && seen.insert({st.st_dev, st.st_ino}).second) out.push_back(path);
    }
    return out;
}

}  // namespace threadleak
