#include "capture/process_memory.h"

#include <sys/uio.h>

#include <algorithm>

namespace threadleak {

bool ProcessMemory::read(uint64_t address, void* out, size_t size) const {
    if (size == 0) return true;
    iovec local{out, size};
    iovec remote{reinterpret_cast<void*>(address), size};
    return process_vm_readv(pid_, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

size_t ProcessMemory::read_many(std::vector<MemoryRead>& reads) const {
    constexpr size_t kBatch = 1024;  // IOV_MAX
    size_t succeeded = 0;
    std::vector<iovec> local, remote;
    for (size_t begin = 0; begin < reads.size(); begin += kBatch) {
        const size_t end = std::min(reads.size(), begin + kBatch);
        local.clear();
        remote.clear();
        for (size_t i = begin; i < end; i++) {
            local.push_back({reads[i].out, reads[i].size});
            remote.push_back({reinterpret_cast<void*>(reads[i].address), reads[i].size});
        }
        // process_vm_readv stops at the first remote range it cannot read, so
        // the reads after a failed one are retried from there.
        size_t i = begin;
        while (i < end) {
            ssize_t got = process_vm_readv(pid_, &local[i - begin], static_cast<unsigned long>(end - i),
                                           &remote[i - begin], static_cast<unsigned long>(end - i), 0);
            if (got < 0) got = 0;
            size_t left = static_cast<size_t>(got);
            while (i < end && left >= reads[i].size) {
                left -= reads[i].size;
                reads[i].ok = true;
                succeeded++;
                i++;
            }
            if (i < end) {
                // reads[i] was partial or unreadable: fall back to reading it alone.
                reads[i].ok = read(reads[i].address, reads[i].out, reads[i].size);
                if (reads[i].ok) succeeded++;
                i++;
            }
        }
    }
    return succeeded;
}

}  // namespace threadleak
