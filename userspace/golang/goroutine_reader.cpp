#include "golang/goroutine_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <span>

#include "capture/proc_maps_line.h"
#include "capture/process_memory.h"
#include "stacks/elf_load_bias.h"

namespace threadleak {
namespace {

constexpr uint32_t kGscan = 0x1000;          // runtime._Gscan: set while the GC scans its stack
constexpr uint64_t kMaxGoroutines = 50'000'000;
constexpr size_t kMaxFrames = 64;
constexpr uint64_t kMaxStackRead = 64 * 1024;  // enough for the frames of a parked goroutine
constexpr uint64_t kMaxReasonLength = 128;

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

template <typename T>
T field(std::span<const uint8_t> g, uint64_t offset) {
    T v{};
    if (offset + sizeof(T) <= g.size()) memcpy(&v, g.data() + offset, sizeof(T));
    return v;
}

std::string proc_path(int pid, const char* what) { return "/proc/" + std::to_string(pid) + "/" + what; }

std::string exe_link(int pid) {
    char buf[4096];
    ssize_t n = readlink(proc_path(pid, "exe").c_str(), buf, sizeof(buf) - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : proc_path(pid, "exe");
}

/// Run-time address minus link-time address of `pid`'s executable (0 unless PIE).
std::optional<uint64_t> exe_bias(int pid, const struct stat& exe) {
    int fd = open(proc_path(pid, "exe").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::ifstream maps(proc_path(pid, "maps"));
    std::optional<uint64_t> bias;
    for (std::string line; !bias && std::getline(maps, line);) {
        auto e = parse_maps_line(line);
        if (e && e->executable && e->mapping.ino == exe.st_ino) bias = elf_file_load_bias(fd, e->mapping.start, e->mapping.pgoff);
    }
    close(fd);
    return bias;
}

/// The standard library's source prefix, from runtime.main's file
/// ("/usr/lib/go-1.19/src/runtime/proc.go" -> "/usr/lib/go-1.19/src/").
std::string goroot_src_of(const GoSymbols& symbols) {
    auto entry = symbols.entry_of("runtime.main");
    if (!entry) return "";
    auto f = symbols.lookup(*entry);
    if (!f) return "";
    const std::string suffix = "runtime/proc.go";
    if (f->file.size() < suffix.size() || f->file.compare(f->file.size() - suffix.size(), suffix.size(), suffix) != 0)
        return "";
    return f->file.substr(0, f->file.size() - suffix.size());
}

/// Return addresses from the frame-pointer chain of a goroutine's saved
/// frame `bp`, within its stack bytes `stack` (which start at `sp`): for
/// frames whose size the pcsp table does not give.
std::vector<uint64_t> walk_frame_pointers(const std::vector<uint8_t>& stack, uint64_t sp, uint64_t bp) {
    std::vector<uint64_t> rets;
    const uint64_t end = sp + stack.size();
    while (rets.size() < kMaxFrames && bp >= sp && bp + 16 <= end && bp % 8 == 0) {
        uint64_t next = 0, ret = 0;
        memcpy(&next, stack.data() + (bp - sp), 8);
        memcpy(&ret, stack.data() + (bp - sp) + 8, 8);
        if (ret == 0) break;
        rets.push_back(ret);
        if (next <= bp) break;  // frames only go up the stack
        bp = next;
    }
    return rets;
}

}  // namespace

std::vector<uint64_t> GoroutineReader::walk_stack(Loaded& l, uint64_t bias, const std::vector<uint8_t>& stack,
                                                  uint64_t sp, uint64_t pc, uint64_t bp) {
    // As Go's traceback does: each frame's size from the pcsp table at its pc
    // (a return address: the call's byte, pc - 1), the return address above it.
    // Frame pointers are not needed (a goroutine in a syscall has none saved
    // before Go 1.21); they are the fallback when a size is unknown.
    std::vector<uint64_t> rets;
    const uint64_t start = sp, end = sp + stack.size();
    while (rets.size() < kMaxFrames) {
        const uint64_t link_pc = pc - bias - 1;
        auto it = l.frame_sizes.find(link_pc);
        if (it == l.frame_sizes.end()) it = l.frame_sizes.emplace(link_pc, l.symbols->frame_size(link_pc)).first;
        if (!it->second || *it->second < 0) {
            if (rets.empty()) return walk_frame_pointers(stack, start, bp);
            break;
        }
        const uint64_t at = sp + static_cast<uint64_t>(*it->second);
        if (at < start || at + 8 > end) break;
        uint64_t ret = 0;
        memcpy(&ret, stack.data() + (at - start), 8);
        if (ret == 0) break;
        rets.push_back(ret);
        sp = at + 8;
        pc = ret;
    }
    return rets;
}

std::string to_string(GoStatus s) {
    switch (s) {
    case GoStatus::Idle: return "idle";
    case GoStatus::Runnable: return "runnable";
    case GoStatus::Running: return "running";
    case GoStatus::Syscall: return "syscall";
    case GoStatus::Waiting: return "waiting";
    case GoStatus::Dead: return "dead";
    case GoStatus::CopyStack: return "copystack";
    case GoStatus::Preempted: return "preempted";
    }
    return "status " + std::to_string(static_cast<uint32_t>(s));
}

GoroutineReader::Loaded* GoroutineReader::load(int pid, std::string* why_not) {
    // Through an open descriptor: the file stays readable even if the process
    // exits meanwhile (a failure then says nothing about the file, and is not kept).
    const int fd = open(proc_path(pid, "exe").c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st{};
    if (fd < 0 || fstat(fd, &st) != 0) {
        *why_not = "cannot open /proc/" + std::to_string(pid) + "/exe: " + strerror(errno);
        if (fd >= 0) close(fd);
        return nullptr;
    }
    auto [it, added] = files_.try_emplace({st.st_dev, st.st_ino});
    Loaded& l = it->second;
    if (added) {
        const std::string path = "/proc/self/fd/" + std::to_string(fd);
        l.binary = read_go_binary(path, &l.why_not);
        if (l.binary) l.symbols = GoSymbols::open(path, &l.why_not);
        if (!l.symbols) l.binary.reset();
        if (l.symbols) l.goroot_src = goroot_src_of(*l.symbols);
    }
    close(fd);
    if (!l.binary) {
        *why_not = l.why_not;
        return nullptr;
    }
    return &l;
}

const GoBinary* GoroutineReader::binary_of(int pid, std::string* why_not) {
    Loaded* l = load(pid, why_not);
    return l ? &*l->binary : nullptr;
}

std::shared_ptr<const GoSymbols> GoroutineReader::symbols_of(int pid, std::string* why_not) {
    Loaded* l = load(pid, why_not);
    return l ? l->symbols : nullptr;
}

std::vector<Frame> GoroutineReader::frames_at(Loaded& l, const std::string& module, uint64_t bias, uint64_t pc,
                                              bool return_address) {
    const uint64_t link_pc = pc - bias;
    // A return address's line is its call's: look up the byte before it.
    const uint64_t lookup_pc = return_address ? link_pc - 1 : link_pc;
    auto it = l.frames.find(lookup_pc);
    if (it == l.frames.end()) {
        std::vector<Frame> levels;
        // Inlined calls first, as Go's tracebacks print them; all at one address.
        for (const GoFunc& fn : l.symbols->lookup_inlined(lookup_pc)) {
            Frame f;
            f.module = module;
            f.offset = link_pc;
            f.function = fn.name;
            f.function_offset = link_pc - fn.entry;
            if (!fn.file.empty()) f.file = fn.file;
            if (fn.line > 0) f.line = fn.line;
            levels.push_back(std::move(f));
        }
        if (levels.empty()) {  // no function holds it
            Frame f;
            f.module = module;
            f.offset = link_pc;
            levels.push_back(std::move(f));
        }
        it = l.frames.emplace(lookup_pc, std::move(levels)).first;
    }
    std::vector<Frame> out = it->second;
    for (Frame& f : out) f.address = pc;
    return out;
}

std::optional<GoroutineSnapshot> GoroutineReader::read(int pid, std::string* why_not) {
    Loaded* l = load(pid, why_not);
    if (!l) return std::nullopt;
    const GoBinary& bin = *l->binary;
    const GoOffsets& off = bin.offsets;
    struct stat st{};
    stat(proc_path(pid, "exe").c_str(), &st);
    const std::optional<uint64_t> bias = bin.pie ? exe_bias(pid, st) : std::optional<uint64_t>(0);
    if (!bias) {
        *why_not = "cannot find where " + exe_link(pid) + " is mapped in process " + std::to_string(pid);
        return std::nullopt;
    }
    const ProcessMemory mem(pid);
    GoroutineSnapshot snap;
    snap.pid = pid;
    snap.exe = exe_link(pid);
    snap.go_version = bin.version;
    snap.goroot_src = l->goroot_src;

    struct { uint64_t ptr, len, cap; } allgs{};
    if (!mem.read_value(bin.allgs + *bias, &allgs)) {
        *why_not = "cannot read runtime.allgs of process " + std::to_string(pid) + ": " + strerror(errno);
        return std::nullopt;
    }
    if (allgs.len > allgs.cap || allgs.len > kMaxGoroutines) {
        *why_not = "runtime.allgs of process " + std::to_string(pid) + " does not decode (len " +
                   std::to_string(allgs.len) + ")";
        return std::nullopt;
    }
    std::vector<uint64_t> gptrs(allgs.len);
    if (allgs.len && !mem.read(allgs.ptr, gptrs.data(), allgs.len * 8)) {
        *why_not = "cannot read the goroutine list of process " + std::to_string(pid);
        return std::nullopt;
    }

    // Wait reasons by number, from the binary's own table (the enum changes
    // between releases).
    std::vector<std::string> reasons(bin.wait_reason_count);
    {
        std::vector<std::pair<uint64_t, uint64_t>> headers(bin.wait_reason_count);
        if (!headers.empty()) mem.read(bin.wait_reason_strings + *bias, headers.data(), headers.size() * 16);
        for (size_t i = 0; i < headers.size(); i++) {
            auto [ptr, len] = headers[i];
            if (len == 0 || len > kMaxReasonLength) continue;
            std::string s(len, '\0');
            if (mem.read(ptr, s.data(), len)) reasons[i] = std::move(s);
        }
    }

    const uint64_t g_size = std::max<uint64_t>(off.g_size, off.startpc + 8);
    // Stacks by their pcs, frames by their pc: identical ones are symbolized
    // and stored once (100,000 leaked goroutines are mostly a few stacks).
    std::map<std::vector<uint64_t>, std::shared_ptr<const Stack>> stacks;
    std::unordered_map<uint64_t, std::shared_ptr<const Frame>> go_statements, starts;
    const auto shared_frame = [&](std::unordered_map<uint64_t, std::shared_ptr<const Frame>>& by_pc, uint64_t pc,
                                  bool return_address) {
        auto [it, added] = by_pc.try_emplace(pc);
        // The innermost level: the function whose code holds the go statement.
        if (added) it->second = std::make_shared<const Frame>(frames_at(*l, snap.exe, *bias, pc, return_address).front());
        return it->second;
    };
    const auto shared_stack = [&](std::vector<uint64_t> pcs) {
        auto [it, added] = stacks.try_emplace(std::move(pcs));
        if (added) {
            Stack frames;
            for (uint64_t pc : it->first) {
                std::vector<Frame> levels = frames_at(*l, snap.exe, *bias, pc, true);
                if (levels.back().function && *levels.back().function == "runtime.goexit") break;
                for (Frame& f : levels) frames.push_back(std::move(f));
            }
            it->second = std::make_shared<const Stack>(std::move(frames));
        }
        return it->second;
    };

    // In chunks, so that memory stays bounded by the goroutines kept, not by
    // the bytes read (a g is ~400 bytes, its stack's frames up to 64 KiB).
    constexpr size_t kChunk = 4096;
    struct Pending {
        Goroutine g;
        uint64_t sp = 0, bp = 0, gopc = 0, startpc = 0;
        std::vector<uint8_t> stack;
    };
    std::vector<uint8_t> gs(std::min(gptrs.size(), kChunk) * g_size);
    std::vector<MemoryRead> reads;
    std::vector<Pending> chunk;
    snap.goroutines.reserve(gptrs.size());
    for (size_t begin = 0; begin < gptrs.size(); begin += kChunk) {
        const size_t n = std::min(kChunk, gptrs.size() - begin);
        reads.clear();
        for (size_t i = 0; i < n; i++) reads.push_back({gptrs[begin + i], g_size, gs.data() + i * g_size});
        mem.read_many(reads);
        chunk.clear();
        for (size_t i = 0; i < n; i++) {
            if (gptrs[begin + i] == 0) continue;
            if (!reads[i].ok) {
                snap.unreadable++;
                continue;
            }
            const std::span<const uint8_t> g(gs.data() + i * g_size, g_size);
            const auto status = static_cast<GoStatus>(field<uint32_t>(g, off.atomicstatus) & ~kGscan);
            if (status == GoStatus::Dead || status == GoStatus::Idle) continue;
            Pending p;
            p.g.g = gptrs[begin + i];
            p.g.goid = field<uint64_t>(g, off.goid);
            p.g.status = status;
            p.g.wait_reason_index = field<uint8_t>(g, off.waitreason);
            if (status == GoStatus::Waiting && p.g.wait_reason_index < reasons.size())
                p.g.wait_reason = reasons[p.g.wait_reason_index];
            p.g.waitsince_ns = field<int64_t>(g, off.waitsince);
            if (off.parent_goid) p.g.parent_goid = field<uint64_t>(g, off.parent_goid);
            p.g.sched_pc = field<uint64_t>(g, off.sched_pc);
            p.sp = field<uint64_t>(g, off.sched_sp);
            p.bp = field<uint64_t>(g, off.sched_bp);
            const uint64_t lo = field<uint64_t>(g, 0), hi = field<uint64_t>(g, 8);  // g.stack: g's first field
            p.gopc = field<uint64_t>(g, off.gopc);
            p.startpc = field<uint64_t>(g, off.startpc);
            // A running goroutine's saved frame is stale: only its identity is read.
            if (status != GoStatus::Running && p.g.sched_pc && p.sp >= lo && p.sp < hi)
                p.stack.resize(std::min(hi - p.sp, kMaxStackRead));
            chunk.push_back(std::move(p));
        }
        reads.clear();
        for (Pending& p : chunk)
            if (!p.stack.empty()) reads.push_back({p.sp, p.stack.size(), p.stack.data()});
        mem.read_many(reads);
        size_t r = 0;
        for (Pending& p : chunk) {
            if (!p.stack.empty() && !reads[r++].ok) p.stack.clear();
            Goroutine& g = p.g;
            g.created_by = shared_frame(go_statements, p.gopc, true);
            g.start_function = shared_frame(starts, p.startpc, false);
            if (g.status != GoStatus::Running && g.sched_pc) {
                std::vector<uint64_t> pcs = {g.sched_pc};
                for (uint64_t ret : walk_stack(*l, *bias, p.stack, p.sp, g.sched_pc, p.bp)) pcs.push_back(ret);
                g.frames = shared_stack(std::move(pcs));
            }
            snap.goroutines.push_back(std::move(g));
        }
    }
    snap.time_ns = monotonic_ns();
    return snap;
}

}  // namespace threadleak
