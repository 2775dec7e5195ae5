// The ELF files behind traced processes' code, opened once per run and shared
// by every process that maps them: a file's libdwfl session (its ELF, debug
// info, CFI and symbol tables, all independent of where a process loaded it)
// holds the file at bias 0, and each process image adds its own load bias.
//
// Files are told apart by identity (device, inode, size, mtime, ctime), so a
// file rewritten in place is a new file. Sessions are the memory: the cache
// keeps the most recently used ones within a budget of estimated bytes and
// closes the others' sessions (a later use reopens the session from the file
// descriptor the module keeps). Not thread-safe: one thread resolves stacks.
#pragma once

#include <sys/stat.h>

#include <compare>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <elfutils/libdwfl.h>

#include "stacks/elf_load_bias.h"
#include "stacks/module_file.h"
#include "stacks/stack_types.h"

namespace threadleak {

/// What makes two opened files the same file with the same contents.
struct FileIdentity {
    uint64_t dev = 0;
    uint64_t ino = 0;
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;

    static FileIdentity of(const struct stat& st);
    auto operator<=>(const FileIdentity&) const = default;
};

class ModuleCache;

/// One ELF file of the cache. Owned by the process images that map it (and
/// by the cache while its session is recently used).
class SharedModule : public std::enable_shared_from_this<SharedModule> {
public:
    SharedModule(ModuleCache& cache, OwnedFd fd, std::string path, FileIdentity identity,
                 ElfLoadInfo load);
    ~SharedModule();
    SharedModule(const SharedModule&) = delete;
    SharedModule& operator=(const SharedModule&) = delete;

    const FileIdentity& identity() const { return identity_; }
    /// Load bias of the mapping at `start` of file offset `pgoff`.
    std::optional<uint64_t> load_bias(uint64_t start, uint64_t pgoff) const { return load_.bias(start, pgoff); }
    /// The file's address range at bias 0, as libdwfl reports it: [low, high).
    uint64_t low() const { return low_; }
    uint64_t high() const { return high_; }
    /// The file's GNU build-id (.note.gnu.build-id) in lowercase hex, as
    /// `file` and pprof spell it; "" if it has none.
    const std::string& build_id() const { return build_id_; }

    /// CFI from .eh_frame / .debug_frame; `bias` is what to subtract from a
    /// bias-0 address to look it up. nullptr if the file has none.
    Dwarf_CFI* eh_cfi(uint64_t& bias);
    Dwarf_CFI* dwarf_cfi(uint64_t& bias);

    /// The bias-0 address `pc` symbolized with inlined calls expanded (see
    /// symbolize_in_module), cached. `address` and `offset` are bias-0 values
    /// and `module` is empty: the process image fills them in.
    std::vector<Frame> frames_at(uint64_t pc, bool is_return_address);

    /// True while its libdwfl session is open (tests).
    bool has_session() const { return session_ != nullptr; }

private:
    friend class ModuleCache;
    struct Session;

    /// The open session, reopened if it was closed; marks it most recently
    /// used. nullptr only if libdwfl refuses the file.
    Session* session();
    /// Counts the separate debug file once libdwfl has loaded it.
    void account_debug_info(Session& s);
    void close_session();

    ModuleCache& cache_;
    OwnedFd fd_;  ///< a duplicate goes to each session's libdwfl module
    std::string path_;
    FileIdentity identity_;
    ElfLoadInfo load_;
    uint64_t low_ = 0, high_ = 0;
    std::string build_id_;
    std::unique_ptr<Session> session_;
    size_t session_bytes_ = 0;  ///< estimate counted in the cache's total
    std::list<std::shared_ptr<SharedModule>>::iterator lru_pos_;
};

class ModuleCache {
public:
    /// Estimated bytes of open sessions kept; the most recently used one is
    /// kept even when it alone is larger.
    static constexpr size_t kDefaultBudget = size_t{192} << 20;

    explicit ModuleCache(size_t budget_bytes = kDefaultBudget) : budget_(budget_bytes) {}
    /// Process images must be gone first: their modules refer to the cache.
    ~ModuleCache();
    ModuleCache(const ModuleCache&) = delete;
    ModuleCache& operator=(const ModuleCache&) = delete;

    /// The cache of this run, shared by every process image by default.
    static ModuleCache& shared();

    /// The module of the regular file open as `fd` (opened as `path`): the
    /// one already held for the same identity (then `fd` is closed), or a new
    /// one keeping `fd`. nullptr if the file is not an x86_64 ELF executable
    /// or shared object that libdwfl accepts.
    std::shared_ptr<SharedModule> get(OwnedFd fd, const std::string& path);

    /// Modules with an open session, and their estimated bytes (tests, -v).
    size_t open_sessions() const { return lru_.size(); }
    size_t estimated_bytes() const { return bytes_; }

private:
    friend class SharedModule;
    void touch(SharedModule& m);
    void add_bytes(SharedModule& m, size_t bytes);
    void evict_over_budget();

    size_t budget_;
    size_t bytes_ = 0;
    std::map<FileIdentity, std::weak_ptr<SharedModule>> by_identity_;
    size_t sweep_at_ = 64;  ///< by_identity_ size at which expired entries are dropped
    std::list<std::shared_ptr<SharedModule>> lru_;  ///< open sessions, most recent first
};

/// Bytes a session of `elf` may come to hold: its sections, compressed ones
/// at their uncompressed size (libdw inflates them into memory).
size_t elf_memory_estimate(Elf* elf);

}  // namespace threadleak
