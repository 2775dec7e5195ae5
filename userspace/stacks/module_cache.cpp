#include "stacks/module_cache.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>

#include "stacks/dwfl_session.h"
#include "stacks/dwfl_symbolize.h"

namespace threadleak {

FileIdentity FileIdentity::of(const struct stat& st) {
    auto ns = [](const timespec& t) { return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec; };
    return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
            static_cast<uint64_t>(st.st_size), ns(st.st_mtim), ns(st.st_ctim)};
}

size_t elf_memory_estimate(Elf* elf) {
    size_t total = 0;
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr shdr;
        if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type == SHT_NOBITS) continue;
        GElf_Chdr chdr;
        if ((shdr.sh_flags & SHF_COMPRESSED) != 0 && gelf_getchdr(scn, &chdr) != nullptr)
            total += chdr.ch_size;
        else
            total += shdr.sh_size;
    }
    return total;
}

namespace {

/// The build-id note of `mod`'s file in lowercase hex; "" if it has none.
std::string build_id_hex(Dwfl_Module* mod) {
    const unsigned char* bits = nullptr;
    GElf_Addr vaddr = 0;
    const int len = dwfl_module_build_id(mod, &bits, &vaddr);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (int i = 0; i < len; ++i) {
        hex += kHex[bits[i] >> 4];
        hex += kHex[bits[i] & 0xf];
    }
    return hex;
}

}  // namespace

/// The file reported alone, at bias 0, and what was symbolized in it.
struct SharedModule::Session {
    DwflSession dwfl;
    Dwfl_Module* mod = nullptr;
    bool debug_accounted = false;
    /// Exact pcs and return addresses resolve differently (pc vs pc - 1).
    std::unordered_map<uint64_t, std::vector<Frame>> exact, returns;
};

SharedModule::SharedModule(ModuleCache& cache, OwnedFd fd, std::string path, FileIdentity identity,
                           ElfLoadInfo load)
    : cache_(cache), fd_(std::move(fd)), path_(std::move(path)), identity_(identity),
      load_(std::move(load)) {}

SharedModule::~SharedModule() = default;

SharedModule::Session* SharedModule::session() {
    if (session_ != nullptr) {
        cache_.touch(*this);
        return session_.get();
    }
    const int dup_fd = fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) return nullptr;
    auto s = std::make_unique<Session>();
    s->mod = s->dwfl.report(path_, path_, dup_fd, 0);
    if (s->mod == nullptr) return nullptr;
    Dwarf_Addr low = 0, high = 0;
    dwfl_module_info(s->mod, nullptr, &low, &high, nullptr, nullptr, nullptr, nullptr);
    low_ = low;
    high_ = high;
    Dwarf_Addr bias = 0;
    Elf* elf = dwfl_module_getelf(s->mod, &bias);
    build_id_ = build_id_hex(s->mod);  // read with the ELF: the same file at every reopening
    session_ = std::move(s);
    cache_.lru_.push_front(shared_from_this());
    lru_pos_ = cache_.lru_.begin();
    cache_.add_bytes(*this, elf != nullptr ? elf_memory_estimate(elf) : 0);
    return session_.get();
}

void SharedModule::account_debug_info(Session& s) {
    if (s.debug_accounted) return;
    s.debug_accounted = true;
    Dwarf_Addr bias = 0;
    Elf* main = dwfl_module_getelf(s.mod, &bias);
    Dwarf* dwarf = dwfl_module_getdwarf(s.mod, &bias);
    Elf* debug = dwarf != nullptr ? dwarf_getelf(dwarf) : nullptr;
    if (debug != nullptr && debug != main) cache_.add_bytes(*this, elf_memory_estimate(debug));
}

void SharedModule::close_session() {
    if (session_ == nullptr) return;
    session_.reset();
    cache_.bytes_ -= session_bytes_;
    session_bytes_ = 0;
}

Dwarf_CFI* SharedModule::eh_cfi(uint64_t& bias) {
    Session* s = session();
    if (s == nullptr) return nullptr;
    Dwarf_Addr b = 0;
    Dwarf_CFI* cfi = dwfl_module_eh_cfi(s->mod, &b);
    bias = b;
    return cfi;
}

Dwarf_CFI* SharedModule::dwarf_cfi(uint64_t& bias) {
    Session* s = session();
    if (s == nullptr) return nullptr;
    Dwarf_Addr b = 0;
    Dwarf_CFI* cfi = dwfl_module_dwarf_cfi(s->mod, &b);  // loads the debug file
    bias = b;
    account_debug_info(*s);
    return cfi;
}

std::vector<Frame> SharedModule::frames_at(uint64_t pc, bool is_return_address) {
    Session* s = session();
    if (s == nullptr) return {};
    auto& cache = is_return_address ? s->returns : s->exact;
    if (auto it = cache.find(pc); it != cache.end()) return it->second;
    std::vector<Frame> frames = symbolize_in_module(s->mod, {pc, is_return_address});
    account_debug_info(*s);
    cache.emplace(pc, frames);
    return frames;
}

ModuleCache::~ModuleCache() {
    while (!lru_.empty()) {
        lru_.back()->close_session();
        lru_.pop_back();
    }
}

ModuleCache& ModuleCache::shared() {
    static ModuleCache cache;
    return cache;
}

std::shared_ptr<SharedModule> ModuleCache::get(OwnedFd fd, const std::string& path) {
    struct stat st {};
    if (!fd || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return nullptr;
    const FileIdentity id = FileIdentity::of(st);
    if (auto it = by_identity_.find(id); it != by_identity_.end()) {
        if (std::shared_ptr<SharedModule> m = it->second.lock()) return m;
    }
    std::optional<ElfLoadInfo> load = read_elf_load_info(fd.get());
    if (!load) return nullptr;
    auto m = std::make_shared<SharedModule>(*this, std::move(fd), path, id, std::move(*load));
    // Opening the session now tells whether libdwfl takes the file, and gives
    // its address range; eviction may close it again later.
    if (m->session() == nullptr) return nullptr;
    by_identity_[id] = m;
    if (by_identity_.size() >= sweep_at_) {
        std::erase_if(by_identity_, [](const auto& kv) { return kv.second.expired(); });
        sweep_at_ = std::max<size_t>(64, by_identity_.size() * 2);
    }
    return m;
}

void ModuleCache::touch(SharedModule& m) {
    if (m.lru_pos_ != lru_.begin()) lru_.splice(lru_.begin(), lru_, m.lru_pos_);
}

void ModuleCache::add_bytes(SharedModule& m, size_t bytes) {
    m.session_bytes_ += bytes;
    bytes_ += bytes;
    evict_over_budget();
}

void ModuleCache::evict_over_budget() {
    while (bytes_ > budget_ && lru_.size() > 1) {
        std::shared_ptr<SharedModule> victim = std::move(lru_.back());
        lru_.pop_back();
        victim->close_session();
    }
}

}  // namespace threadleak
