// ProcessImage glues together the pieces that each do one job: module files
// (module_file), load biases (elf_load_bias), the libdwfl session
// (dwfl_session), unwinding (dwfl_unwind) and symbolization (dwfl_symbolize).
#include "stacks/process_image.h"

#include <fstream>
#include <set>
#include <tuple>

#include "stacks/dwfl_session.h"
#include "stacks/dwfl_symbolize.h"
#include "stacks/dwfl_unwind.h"
#include "stacks/elf_load_bias.h"
#include "stacks/module_file.h"
#include "capture/proc_maps_line.h"

namespace threadleak {

struct ProcessImage::Impl {
    explicit Impl(int pid) : unwinder(session, pid) {}

    DwflSession session;
    DwflUnwinder unwinder;  // refers to `session`, so declared after it
    /// Every mapping offered so far, including those that could not be
    /// resolved: the same mapping arrives with every stack, and retrying a
    /// missing file each time would cost an open() per stack.
    std::set<std::tuple<uint64_t, uint64_t, uint64_t, std::string>> seen;
    /// Exact pcs and return addresses resolve differently (pc vs pc - 1).
    /// Each holds a pc's frames with inlined calls expanded, innermost first.
    std::unordered_map<uint64_t, std::vector<Frame>> exact_cache;
    std::unordered_map<uint64_t, std::vector<Frame>> return_cache;

    /// `frame` symbolized with inlined calls expanded, from the cache when
    /// possible. The reference lives until forget_unknown().
    const std::vector<Frame>& frames_for(const RawFrame& frame) {
        auto& cache = frame.is_return_address ? return_cache : exact_cache;
        if (auto it = cache.find(frame.pc); it != cache.end()) return it->second;
        return cache.emplace(frame.pc, symbolize_inline_with(session, frame)).first->second;
    }

    /// A new module may cover addresses that were unknown until now.
    void forget_unknown() {
        for (auto* cache : {&exact_cache, &return_cache}) {
            std::erase_if(*cache, [](const auto& kv) {
                return kv.second.empty() || kv.second.front().module == "[unknown]";
            });
        }
    }
};

ProcessImage::ProcessImage(int pid, std::string root_dir)
    : pid_(pid), root_dir_(std::move(root_dir)), impl_(std::make_unique<Impl>(pid)) {}

ProcessImage::~ProcessImage() = default;

void ProcessImage::add_mapping(const Mapping& m) {
    if (!is_file_backed_path(m.path) || m.start >= m.end) return;
    if (!impl_->seen.emplace(m.start, m.end, m.pgoff, m.path).second) return;
    // Covered already: another code mapping of a reported file, or a file
    // that was unmapped and replaced (dlclose + dlopen). The first module
    // reported for an address range wins; libdwfl cannot hold overlaps.
    if (impl_->session.module_at(m.start) != nullptr) return;

    std::optional<ModuleFile> file = open_module_file(root_dir_, pid_, m);
    if (!file) return;
    std::optional<uint64_t> bias = elf_file_load_bias(file->fd.get(), m.start, m.pgoff);
    if (!bias) return;
    if (impl_->session.report(m.path, file->path, file->fd.release(), *bias) != nullptr) {
        impl_->forget_unknown();
    }
}

bool ProcessImage::load_proc_maps() {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/maps");
    if (!in) return false;
    // An exiting process's maps reads empty: nothing to learn, say so.
    bool any = false;
    std::string line;
    while (std::getline(in, line)) {
        any = true;
        std::optional<MapsEntry> e = parse_maps_line(line);
        if (e && e->executable) add_mapping(e->mapping);
    }
    return any;
}

std::vector<RawFrame> ProcessImage::unwind(const StackSnapshot& snap, int tid, size_t max_frames) {
    return impl_->unwinder.unwind(snap, tid, max_frames);
}

std::vector<Frame> ProcessImage::symbolize_inline(const RawFrame& frame) {
    return impl_->frames_for(frame);
}

Frame ProcessImage::symbolize(const RawFrame& frame) {
    return collapse_inline_frames(impl_->frames_for(frame));
}

Stack ProcessImage::resolve_stack(const StackSnapshot& snap, int tid, size_t max_frames) {
    Stack stack;
    for (const RawFrame& raw : unwind(snap, tid, max_frames)) {
        const std::vector<Frame>& frames = impl_->frames_for(raw);
        stack.insert(stack.end(), frames.begin(), frames.end());
    }
    return stack;
}

}  // namespace threadleak
