// The modules of one address space: which shared file covers which run-time
// address range, at which load bias, under which name the process mapped it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "stacks/module_cache.h"

namespace threadleak {

struct MappedModule {
    uint64_t start = 0;  ///< run-time address range [start, end): the file's
    uint64_t end = 0;    ///< whole range at `bias`, as libdwfl reports it
    uint64_t bias = 0;   ///< run-time address - bias = the file's address
    std::string name;    ///< the mapping's path in the process
    std::shared_ptr<SharedModule> file;
};

class ModuleMap {
public:
    /// Adds `m` unless it overlaps a module added before (the first one wins:
    /// a file unmapped and replaced by another keeps the first one's name).
    bool add(MappedModule m) {
        if (m.start >= m.end || overlaps(m.start, m.end)) return false;
        const uint64_t start = m.start;
        by_start_.emplace(start, std::move(m));
        return true;
    }

    /// The module whose range holds `addr`, or nullptr.
    const MappedModule* at(uint64_t addr) const {
        auto it = by_start_.upper_bound(addr);
        if (it == by_start_.begin()) return nullptr;
        --it;
        return addr < it->second.end ? &it->second : nullptr;
    }

    bool empty() const { return by_start_.empty(); }

private:
    bool overlaps(uint64_t start, uint64_t end) const {
        auto it = by_start_.lower_bound(start);
        if (it != by_start_.end() && it->first < end) return true;
        return it != by_start_.begin() && std::prev(it)->second.end > start;
    }

    std::map<uint64_t, MappedModule> by_start_;
};

}  // namespace threadleak
