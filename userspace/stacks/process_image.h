// What is known about one traced process's address space: the executable file
// mappings seen on its stacks, each a shared file of the module cache at this
// process's load bias. Unwinds and symbolizes that process's stacks; what
// depends only on a file (ELF, debug info, CFI, symbols, symbolized
// addresses) lives in the cache, shared by every process that maps it.
//
// Mappings come from the kernel with each stack (tl_module records), so stacks
// can be resolved after the process is gone. Files are opened inside
// `root_dir` (the target's /proc/PID/root, held open as /proc/self/fd/N, so
// binaries in other mount namespaces resolve); the host's file of the same
// name is tried only when that root is unknown or gone (see open_module_file).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "capture/capture_types.h"
#include "stacks/module_cache.h"
#include "stacks/module_file.h"
#include "stacks/module_map.h"
#include "stacks/stack_types.h"

namespace threadleak {

class ProcessImage {
public:
    /// `root_dir` is prefixed to mapping paths when opening files ("" = none).
    /// `cache` must outlive the image.
    explicit ProcessImage(int pid, std::string root_dir = "",
                          ModuleCache& cache = ModuleCache::shared());
    /// Files are opened inside the directory open as `root` (O_PATH), which
    /// the image keeps open until close_files().
    ProcessImage(int pid, OwnedFd root, ModuleCache& cache = ModuleCache::shared());
    ProcessImage(const ProcessImage&) = delete;
    ProcessImage& operator=(const ProcessImage&) = delete;

    int pid() const { return pid_; }
    /// Adds a mapping (duplicates ignored). Its file is opened and shared
    /// through the cache the first time one of its executable mappings is
    /// added. Ignored after close_files().
    void add_mapping(const Mapping& m);
    /// Reads /proc/PID/maps now (best effort; false if the process is gone).
    bool load_proc_maps();
    /// Starts from `parent`'s modules: a forked child's address space is a
    /// copy of its parent's, so its stacks resolve even if it is gone before
    /// its own mappings could be read (kernels without the BPF VMA iterator).
    void inherit_mappings(const ProcessImage& parent);
    /// No more mappings will come (the process exited or exec'd): closes the
    /// root directory. Stacks still resolve with the modules added so far.
    void close_files();
    bool files_closed() const { return closed_; }

    /// DWARF-CFI unwind, innermost first, at most `max_frames`. Never empty when
    /// regs[16] != 0: the first frame is the captured pc.
    std::vector<RawFrame> unwind(const StackSnapshot& snap, size_t max_frames = 128) const;

    /// Function (demangled), file:line, module and module offset for a frame.
    /// Inlined calls collapsed: the physical function with the innermost
    /// file:line. Results are cached per file address, for every process.
    Frame symbolize(const RawFrame& frame) const;

    /// The frame with inlined calls expanded, innermost first (never empty):
    /// one Frame per inline level, each outer level at the call site of the
    /// level inside it, the last one the physical function. All share
    /// address, module and offset. Cached like symbolize().
    std::vector<Frame> symbolize_inline(const RawFrame& frame) const;

    /// unwind + symbolize_inline: inline levels expanded, so the result can
    /// hold more frames than `max_frames` (which bounds the unwind only).
    Stack resolve_stack(const StackSnapshot& snap, size_t max_frames = 128) const;

private:
    int pid_;
    OwnedFd root_;
    std::string root_dir_;
    ModuleCache& cache_;
    bool closed_ = false;
    ModuleMap modules_;
    /// Every mapping offered so far, including those that could not be
    /// resolved: the same mapping arrives with every stack, and retrying a
    /// missing file each time would cost an open() per stack.
    std::set<std::tuple<uint64_t, uint64_t, uint64_t, std::string>> seen_;
};

}  // namespace threadleak
