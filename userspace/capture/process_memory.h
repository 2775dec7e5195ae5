// Reads another process's memory without stopping it (process_vm_readv):
// many small reads in few syscalls. Nothing read is trusted: a caller checks
// every value it follows (the target may change it meanwhile).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace threadleak {

/// One read asked for: `size` bytes at `address` into `out`.
struct MemoryRead {
    uint64_t address = 0;
    size_t size = 0;
    void* out = nullptr;
    bool ok = false;  ///< set by read_many: every byte was read
};

class ProcessMemory {
public:
    explicit ProcessMemory(int pid) : pid_(pid) {}
    /// True if all `size` bytes at `address` were read.
    bool read(uint64_t address, void* out, size_t size) const;
    template <typename T>
    bool read_value(uint64_t address, T* out) const { return read(address, out, sizeof(T)); }
    /// Each read, batched (up to 1024 per syscall); a read that fails sets
    /// only its own `ok` false. Returns how many succeeded.
    size_t read_many(std::vector<MemoryRead>& reads) const;
    int pid() const { return pid_; }

private:
    int pid_;
};

}  // namespace threadleak
