// Reads every goroutine of a running (or stopped) Go process from outside:
// the runtime's `allgs` list and each `runtime.g` through process_vm_readv,
// each stack by its saved frame pointers, symbolized from .gopclntab. Needs
// no probe and no cooperation; works on stripped and PIE binaries (offsets
// and addresses from golang/go_binary). A running target can change what is
// being read: every pointer is checked before it is followed, and a g that
// does not decode is counted, not reported.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "golang/go_binary.h"
#include "golang/go_pclntab.h"
#include "golang/go_types.h"

namespace threadleak {

class GoroutineReader {
public:
    /// The Go binary that process `pid` runs, read once per file; nullptr
    /// (with *why_not) when it is no Go program this reader can decode.
    const GoBinary* binary_of(int pid, std::string* why_not);
    /// The .gopclntab of that binary (shared: other stages name frames with it
    /// after the process and maybe its file are gone); null if none.
    std::shared_ptr<const GoSymbols> symbols_of(int pid, std::string* why_not);
    /// Every goroutine of `pid` now. nullopt (with *why_not) when its
    /// executable is no readable Go program or its memory cannot be read.
    std::optional<GoroutineSnapshot> read(int pid, std::string* why_not);

private:
    struct Loaded {
        std::optional<GoBinary> binary;
        std::shared_ptr<const GoSymbols> symbols;
        std::string why_not;
        std::string goroot_src;
        std::unordered_map<uint64_t, std::vector<Frame>> frames;  ///< by link-time pc looked up: goroutines share most
        std::unordered_map<uint64_t, std::optional<int32_t>> frame_sizes;  ///< pcsp by link-time pc
    };
    Loaded* load(int pid, std::string* why_not);
    /// Return addresses of a goroutine's stack (bytes `stack` from `sp` up),
    /// from its saved `pc` (and `bp`, the fallback).
    std::vector<uint64_t> walk_stack(Loaded& l, uint64_t bias, const std::vector<uint8_t>& stack, uint64_t sp,
                                     uint64_t pc, uint64_t bp);
    /// The frames at `pc`, inlined calls first (one unless code is inlined there).
    std::vector<Frame> frames_at(Loaded& l, const std::string& module, uint64_t bias, uint64_t pc,
                                 bool return_address);

    std::map<std::pair<dev_t, ino_t>, Loaded> files_;
};

}  // namespace threadleak
