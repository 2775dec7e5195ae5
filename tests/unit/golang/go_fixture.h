// Building tests/fixtures/go_reader/*.go with the installed Go toolchain into
// build/fixtures/go_reader/, and asking the toolchain for expected values.
#pragma once

#include <elf.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>

namespace go_fixture {

inline std::string run(const std::string& cmd, int* status = nullptr) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int st = pclose(p);
    if (status) *status = st;
    return out;
}

inline bool have_go() { return !run("command -v go").empty(); }

/// build/ (the directory of the test binary) and the fixture sources.
inline std::filesystem::path build_dir() { return std::filesystem::read_symlink("/proc/self/exe").parent_path(); }
inline std::string source_dir() {
    return std::filesystem::canonical(build_dir().parent_path() / "tests/fixtures/go_reader").string();
}
inline std::string output_dir() {
    auto dir = build_dir() / "fixtures/go_reader";
    std::filesystem::create_directories(dir);
    return dir.string();
}
inline std::string fixture(const std::string& name) { return output_dir() + "/hello_" + name; }

/// go build `src` with `flags` into fixture(name), with its cache under build/:
/// "" on success, else the name and go's output.
inline std::string go_build(const std::string& name, const std::string& flags, const std::string& src) {
    auto b = build_dir();
    std::string env = "GOCACHE='" + (b / "go-cache").string() + "' GOPATH='" + (b / "go-path").string() +
                      "' GOFLAGS=-buildvcs=false ";
    int st = 0;
    std::string log = run("cd '" + source_dir() + "' && " + env + "go build " + flags + " -o '" + fixture(name) +
                              "' " + src + " 2>&1",
                          &st);
    return st == 0 ? "" : name + ": " + log;
}

/// Rewrites a copy of `from` without section headers (what sstrip leaves).
inline bool drop_section_headers(const std::string& from, const std::string& to) {
    std::ifstream in(from, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() < sizeof(Elf64_Ehdr)) return false;
    Elf64_Ehdr eh;
    std::memcpy(&eh, bytes.data(), sizeof eh);
    eh.e_shoff = 0;
    eh.e_shnum = 0;
    eh.e_shstrndx = 0;
    std::memcpy(bytes.data(), &eh, sizeof eh);
    std::ofstream out(to, std::ios::binary | std::ios::trunc);
    out << bytes;
    return static_cast<bool>(out);
}

struct NmSymbol {
    uint64_t addr = 0, size = 0;
};

/// `go tool nm -size`: "  addr size type name" per line.
inline std::map<std::string, NmSymbol> go_nm(const std::string& bin) {
    std::map<std::string, NmSymbol> out;
    std::istringstream in(run("go tool nm -size '" + bin + "'"));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::string addr, size, type, name;
        if (!(f >> addr >> size >> type >> name)) continue;
        out[name] = {std::stoull(addr, nullptr, 16), std::stoull(size)};
    }
    return out;
}

}  // namespace go_fixture
