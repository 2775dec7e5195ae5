// What is known about one traced process's address space: the executable file
// mappings seen on its stacks. Owns the libdwfl session that unwinds and
// symbolizes stacks of that process (one Dwfl per process, reused and cached).
//
// Mappings come from the kernel with each stack (tl_module records), so stacks
// can be resolved after the process is gone. Files are opened inside
// `root_dir` (the target's /proc/PID/root, held open as /proc/self/fd/N, so
// binaries in other mount namespaces resolve); the host's file of the same
// name is tried only when that root is unknown or gone (see open_module_file).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "capture/capture_types.h"
#include "stacks/stack_types.h"

namespace threadleak {

class ProcessImage {
public:
    /// `root_dir` is prefixed to mapping paths when opening files ("" = none).
    explicit ProcessImage(int pid, std::string root_dir = "");
    ~ProcessImage();
    ProcessImage(const ProcessImage&) = delete;
    ProcessImage& operator=(const ProcessImage&) = delete;

    int pid() const { return pid_; }
    /// Adds a mapping (duplicates ignored). A file is reported to libdwfl the
    /// first time one of its executable mappings is added.
    void add_mapping(const Mapping& m);
    /// Reads /proc/PID/maps now (best effort; false if the process is gone).
    bool load_proc_maps();

    /// DWARF-CFI unwind, innermost first, at most `max_frames`. Never empty when
    /// regs[16] != 0: the first frame is the captured pc.
    std::vector<RawFrame> unwind(const StackSnapshot& snap, int tid, size_t max_frames = 128);

    /// Function (demangled), file:line, module and module offset for a frame.
    /// Inlined calls collapsed: the physical function with the innermost
    /// file:line. Results are cached per address.
    Frame symbolize(const RawFrame& frame);

    /// The frame with inlined calls expanded, innermost first (never empty):
    /// one Frame per inline level, each outer level at the call site of the
    /// level inside it, the last one the physical function. All share
    /// address, module and offset. Cached per address.
    std::vector<Frame> symbolize_inline(const RawFrame& frame);

    /// unwind + symbolize_inline: inline levels expanded, so the result can
    /// hold more frames than `max_frames` (which bounds the unwind only).
    Stack resolve_stack(const StackSnapshot& snap, int tid, size_t max_frames = 128);

private:
    struct Impl;
    int pid_;
    std::string root_dir_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace threadleak
