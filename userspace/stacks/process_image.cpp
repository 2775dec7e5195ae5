// ProcessImage glues together the pieces that each do one job: module files
// (module_file), the shared files and their libdwfl sessions (module_cache),
// load biases (elf_load_bias), unwinding (cfi_unwind) and symbolization
// (dwfl_symbolize, through the cache).
#include "stacks/process_image.h"

#include <fstream>

#include "capture/proc_maps_line.h"
#include "stacks/cfi_unwind.h"
#include "stacks/dwfl_symbolize.h"

namespace threadleak {

ProcessImage::ProcessImage(int pid, std::string root_dir, ModuleCache& cache)
    : pid_(pid), root_dir_(std::move(root_dir)), cache_(cache) {}

ProcessImage::ProcessImage(int pid, OwnedFd root, ModuleCache& cache)
    : pid_(pid), root_(std::move(root)), cache_(cache) {
    if (root_) root_dir_ = "/proc/self/fd/" + std::to_string(root_.get());
}

void ProcessImage::close_files() {
    closed_ = true;
    root_ = OwnedFd();
}

void ProcessImage::add_mapping(const Mapping& m) {
    if (closed_ || !is_file_backed_path(m.path) || m.start >= m.end) return;
    if (!seen_.emplace(m.start, m.end, m.pgoff, m.path).second) return;
    // Covered already: another code mapping of a reported file, or a file
    // that was unmapped and replaced (dlclose + dlopen). The first module
    // added for an address range wins.
    if (modules_.at(m.start) != nullptr) return;

    std::optional<ModuleFile> file = open_module_file(root_dir_, pid_, m);
    if (!file) return;
    std::shared_ptr<SharedModule> shared = cache_.get(std::move(file->fd), file->path);
    if (!shared) return;
    std::optional<uint64_t> bias = shared->load_bias(m.start, m.pgoff);
    if (!bias) return;
    modules_.add({shared->low() + *bias, shared->high() + *bias, *bias, m.path, std::move(shared)});
}

void ProcessImage::inherit_mappings(const ProcessImage& parent) {
    if (closed_ || !modules_.empty()) return;
    modules_ = parent.modules_;
    seen_ = parent.seen_;
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

std::vector<RawFrame> ProcessImage::unwind(const StackSnapshot& snap, size_t max_frames) const {
    return unwind_stack(modules_, snap, max_frames);
}

std::vector<Frame> ProcessImage::symbolize_inline(const RawFrame& frame) const {
    // The call instruction, not the one after it (see symbolize_in_module).
    const uint64_t lookup = frame.is_return_address && frame.pc > 0 ? frame.pc - 1 : frame.pc;
    const MappedModule* m = modules_.at(lookup);
    std::vector<Frame> frames;
    if (m != nullptr) frames = m->file->frames_at(frame.pc - m->bias, frame.is_return_address);
    if (frames.empty()) {
        Frame unknown;
        unknown.address = frame.pc;
        unknown.module = "[unknown]";
        unknown.offset = frame.pc;
        return {unknown};
    }
    for (Frame& f : frames) {
        f.address = frame.pc;
        f.module = m->name;
        f.build_id = m->file->build_id();
    }
    return frames;
}

Frame ProcessImage::symbolize(const RawFrame& frame) const {
    return collapse_inline_frames(symbolize_inline(frame));
}

Stack ProcessImage::resolve_stack(const StackSnapshot& snap, size_t max_frames) const {
    Stack stack;
    for (const RawFrame& raw : unwind(snap, max_frames)) {
        std::vector<Frame> frames = symbolize_inline(raw);
        stack.insert(stack.end(), std::make_move_iterator(frames.begin()),
                     std::make_move_iterator(frames.end()));
    }
    return stack;
}

}  // namespace threadleak
