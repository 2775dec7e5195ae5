// Reads symbol tables with libelf; nothing of the target is executed (ldd
// would run its loader), so libraries are looked up the way ld.so does.
#include "capture/test_probe_sites.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <libiberty/demangle.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "capture/proc_maps_line.h"
#include "events.h"

namespace threadleak {
namespace {

namespace fs = std::filesystem;

/// GoogleTest runs each test, with its fixture's construction, SetUp,
/// TearDown and destruction, inside this one member function.
constexpr const char* kGtestRun = "_ZN7testing8TestInfo3RunEv";
/// Boost.Test runs each case's invoker (which builds and destroys its
/// fixture) through this one, and a few other functions (fixture decorators'
/// setup and teardown, observers) too: those are told apart by what it runs.
constexpr const char* kBoostExecute =
    "_ZN5boost9unit_test19unit_test_monitor_t21execute_and_translateERKNS_8functionIFvvEEEm";

std::string demangle(const char* sym) {
    std::unique_ptr<char, decltype(&std::free)> d(cplus_demangle(sym, DMGL_PARAMS | DMGL_ANSI), &std::free);
    return d ? std::string(d.get()) : std::string(sym);
}

struct ElfFile {
    int fd = -1;
    Elf* elf = nullptr;
    explicit ElfFile(const std::string& path) {
        fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
    }
    ~ElfFile() {
        if (elf) elf_end(elf);
        if (fd >= 0) close(fd);
    }
    ElfFile(const ElfFile&) = delete;
    ElfFile& operator=(const ElfFile&) = delete;
    bool ok() const { return elf && elf_kind(elf) == ELF_K_ELF && gelf_getclass(elf) == ELFCLASS64; }
};

/// File offset of virtual address `vaddr`, from the PT_LOAD segment holding it.
std::optional<uint64_t> file_offset(Elf* elf, uint64_t vaddr) {
    size_t n = 0;
    if (elf_getphdrnum(elf, &n)) return std::nullopt;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, static_cast<int>(i), &ph) || ph.p_type != PT_LOAD) continue;
        if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) return vaddr - ph.p_vaddr + ph.p_offset;
    }
    return std::nullopt;
}

struct Symbol {
    std::string name;
    uint64_t value = 0;
    bool defined_function = false;
};

/// Every symbol of .symtab and .dynsym (a stripped file has only the latter).
std::vector<Symbol> symbols(Elf* elf) {
    std::vector<Symbol> out;
    Elf_Scn* scn = nullptr;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM)) continue;
        Elf_Data* data = elf_getdata(scn, nullptr);
        if (!data || sh.sh_entsize == 0) continue;
        for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
            GElf_Sym sym;
            if (!gelf_getsym(data, static_cast<int>(i), &sym)) continue;
            const char* name = elf_strptr(elf, sh.sh_link, sym.st_name);
            if (!name || !*name) continue;
            out.push_back({name, sym.st_value,
                           GELF_ST_TYPE(sym.st_info) == STT_FUNC && sym.st_shndx != SHN_UNDEF && sym.st_value});
        }
    }
    return out;
}

struct DynamicInfo {
    std::vector<std::string> needed;
    std::vector<std::string> search;  ///< RPATH or RUNPATH entries, $ORIGIN expanded
};

std::vector<std::string> split_path_list(const std::string& list, const std::string& origin) {
    std::vector<std::string> out;
    std::stringstream in(list);
    std::string dir;
    while (std::getline(in, dir, ':')) {
        for (const char* token : {"${ORIGIN}", "$ORIGIN"})
            for (size_t at; (at = dir.find(token)) != std::string::npos;)
                dir.replace(at, std::string(token).size(), origin);
        if (!dir.empty()) out.push_back(dir);
    }
    return out;
}

DynamicInfo dynamic_info(Elf* elf, const std::string& path) {
    DynamicInfo info;
    const std::string origin = fs::path(path).parent_path().string();
    Elf_Scn* scn = nullptr;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC) continue;
        Elf_Data* data = elf_getdata(scn, nullptr);
        if (!data || sh.sh_entsize == 0) continue;
        for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
            GElf_Dyn dyn;
            if (!gelf_getdyn(data, static_cast<int>(i), &dyn)) continue;
            if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_RPATH && dyn.d_tag != DT_RUNPATH) continue;
            const char* s = elf_strptr(elf, sh.sh_link, dyn.d_un.d_val);
            if (!s) continue;
            if (dyn.d_tag == DT_NEEDED) info.needed.emplace_back(s);
            else
                for (auto& d : split_path_list(s, origin)) info.search.push_back(d);
        }
    }
    return info;
}

/// Directories of /etc/ld.so.conf and the files it includes (one level of globs).
std::vector<std::string> ld_so_conf_dirs(const fs::path& conf, int depth = 0) {
    std::vector<std::string> dirs;
    std::ifstream in(conf);
    std::string line;
    while (std::getline(in, line)) {
        if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
        std::stringstream words(line);
        std::string word;
        if (!(words >> word)) continue;
        if (word == "include" && depth < 2) {
            std::string pattern;
            words >> pattern;
            fs::path dir = fs::path(pattern).parent_path();
            std::string suffix = fs::path(pattern).filename().string();
            // Debian's ld.so.conf includes "/etc/ld.so.conf.d/*.conf".
            std::string ext = suffix.rfind("*", 0) == 0 ? suffix.substr(1) : "";
            std::error_code ec;
            std::set<fs::path> files;
            for (const auto& entry : fs::directory_iterator(dir, ec))
                if (ext.empty() ? entry.path().filename() == suffix
                                : entry.path().string().ends_with(ext))
                    files.insert(entry.path());
            for (const auto& f : files)
                for (auto& d : ld_so_conf_dirs(f, depth + 1)) dirs.push_back(d);
        } else {
            dirs.push_back(word);
        }
    }
    return dirs;
}

/// Where ld.so looks for a DT_NEEDED name, in its order: the file's RPATH or
/// RUNPATH, LD_LIBRARY_PATH, /etc/ld.so.conf, the default directories.
std::vector<std::string> library_dirs(const DynamicInfo& info) {
    std::vector<std::string> dirs = info.search;
    if (const char* env = std::getenv("LD_LIBRARY_PATH"))
        for (auto& d : split_path_list(env, ".")) dirs.push_back(d);
    for (auto& d : ld_so_conf_dirs("/etc/ld.so.conf")) dirs.push_back(d);
    for (const char* d : {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib",
                          "/usr/lib"})
        dirs.emplace_back(d);
    return dirs;
}

std::optional<std::string> find_library(const std::string& name, const std::vector<std::string>& dirs) {
    if (name.find('/') != std::string::npos) return fs::exists(name) ? std::optional(name) : std::nullopt;
    for (const auto& d : dirs) {
        fs::path p = fs::path(d) / name;
        std::error_code ec;
        if (fs::is_regular_file(p, ec)) return p.string();
    }
    return std::nullopt;
}

/// The sites defined in one file.
void sites_in(Elf* elf, const std::string& path, TestProbes& out) {
    std::vector<Symbol> syms = symbols(elf);
    // Boost.Test's invokers are plain "<case>_invoker" functions: only trust
    // that shape in a file that is linked with Boost.Test.
    bool uses_boost_test = false;
    for (const auto& s : syms)
        if (s.name.find("N5boost9unit_test") != std::string::npos) {
            uses_boost_test = true;
            break;
        }
    std::set<uint64_t> seen;
    for (const auto& s : syms) {
        if (!s.defined_function || !seen.insert(s.value).second) continue;
        if (s.name == kGtestRun || s.name == kBoostExecute) {
            const uint32_t kind = s.name == kGtestRun ? TL_TEST_PROBE_GTEST : TL_TEST_PROBE_BOOST;
            if (auto off = file_offset(elf, s.value))
                out.sites.push_back({path, *off, kind, "", demangle(s.name.c_str())});
            continue;
        }
        if (!uses_boost_test || s.name.find("_invoker") == std::string::npos) continue;
        std::string function = demangle(s.name.c_str());
        std::string test = boost_test_name(function);
        if (test.empty()) continue;
        if (auto off = file_offset(elf, s.value))
            out.boost_cases.push_back({path, *off, TL_TEST_PROBE_NAMED, test, function});
    }
}

}  // namespace

std::string boost_test_name(const std::string& demangled) {
    const std::string tail = "_invoker()";
    if (demangled.size() <= tail.size() || !demangled.ends_with(tail)) return "";
    std::string scoped = demangled.substr(0, demangled.size() - tail.size());
    // BOOST_AUTO_TEST_SUITE(s) opens `namespace s`; nothing else may appear.
    std::string name;
    for (size_t i = 0; i < scoped.size(); i++) {
        char c = scoped[i];
        if (c == ':' && i + 1 < scoped.size() && scoped[i + 1] == ':') {
            name += '/';
            i++;
        } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
            name += c;
        } else {
            return "";  // templates, "(anonymous namespace)", operators: not an auto test case
        }
    }
    if (name.empty() || name.front() == '/' || name.back() == '/') return "";
    return name;
}

TestProbes find_test_probe_sites(const std::string& exe) {
    elf_version(EV_CURRENT);
    TestProbes out;
    ElfFile file(exe);
    if (!file.ok()) return out;
    sites_in(file.elf, exe, out);
    DynamicInfo info = dynamic_info(file.elf, exe);
    const std::vector<std::string> dirs = library_dirs(info);  // ld.so.conf read once
    std::set<std::string> done;
    for (const auto& needed : info.needed) {
        auto path = find_library(needed, dirs);
        if (!path || !done.insert(fs::weakly_canonical(*path).string()).second) continue;
        ElfFile lib(*path);
        if (lib.ok()) sites_in(lib.elf, *path, out);
    }
    return out;
}

BoostCaseNames::BoostCaseNames(const std::vector<TestProbeSite>& cases) {
    for (const TestProbeSite& c : cases) {
        struct stat st {};
        if (stat(c.file.c_str(), &st) != 0) continue;
        by_location_[{kernel_dev(major(st.st_dev), minor(st.st_dev)), st.st_ino, c.offset}] = c.test;
    }
}

std::optional<std::string> BoostCaseNames::lookup(const std::vector<Mapping>& maps, uint64_t address) const {
    for (const Mapping& m : maps) {
        if (address < m.start || address >= m.end) continue;
        auto it = by_location_.find({m.dev, m.ino, address - m.start + m.pgoff});
        if (it != by_location_.end()) return it->second;
        return std::nullopt;
    }
    return std::nullopt;
}

std::optional<std::string> BoostCaseNames::name(int pid, uint64_t address) {
    if (by_location_.empty() || address == 0) return std::nullopt;
    auto cached = maps_.find(pid);
    if (cached != maps_.end())
        if (auto n = lookup(cached->second, address)) return n;
    // Not known yet (first test of this process, or a library loaded since): read them again.
    std::vector<Mapping> maps;
    std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
    std::string line;
    while (std::getline(in, line))
        if (auto entry = parse_maps_line(line); entry && entry->executable) maps.push_back(entry->mapping);
    auto n = lookup(maps, address);
    maps_[pid] = std::move(maps);
    return n;
}

}  // namespace threadleak
