// ProcessImage against this very test process: its own stack, its own PIE
// executable, libc (with libc6-dbg debug info) and libstdc++ (.dynsym only).
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "stacks/dwfl_symbolize.h"
#include "stacks/elf_load_bias.h"
#include "capture/proc_maps_line.h"
#include "stacks/process_image.h"
#include "process_image_test_support.h"

#if defined(__clang__)
#define TL_TEST_NOINLINE __attribute__((noinline))
#else
// noipa: no inlining, cloning or signature changes, so the symbol names and
// the call chain stay exactly as written.
#define TL_TEST_NOINLINE __attribute__((noipa))
#endif

namespace pi_test {

using threadleak::Frame;
using threadleak::ProcessImage;
using threadleak::RawFrame;
using threadleak::Stack;
using threadleak::StackSnapshot;

volatile int g_sink = 0;
int g_inner_call_line = 0;
int g_outer_call_line = 0;

// End of the /proc/self/maps mapping that holds `addr`, or 0.
uint64_t mapping_end(uint64_t addr) {
    std::ifstream in("/proc/self/maps");
    std::string line;
    while (std::getline(in, line)) {
        auto e = threadleak::parse_maps_line(line);
        if (e && e->mapping.start <= addr && addr < e->mapping.end) return e->mapping.end;
    }
    return 0;
}

// Copies live stack memory. Reading across other frames' locals is the
// point, hence no AddressSanitizer checks (and no memcpy, which it intercepts).
__attribute__((no_sanitize_address)) void copy_raw(uint64_t addr, uint8_t* out, size_t len) {
    const auto* src = reinterpret_cast<const volatile uint8_t*>(addr);
    for (size_t i = 0; i < len; ++i) out[i] = src[i];
}

// Records the registers CFI may need (callee-saved ones, sp, and a pc inside
// this function) and copies the stack above sp, as the BPF side does for a
// traced thread. The copy is taken in this frame, so later calls only touch
// memory below the captured sp.
TL_TEST_NOINLINE void capture_snapshot(StackSnapshot& snap) {
    char probe = 0;
    const uint64_t stack_end = mapping_end(reinterpret_cast<uint64_t>(&probe));
    snap.stack.assign(kStackCopy, 0);
    snap.regs.fill(0);
    uint64_t* r = snap.regs.data();
    asm volatile(
        "movq %%rbx, 24(%0)\n\t"
        "movq %%rbp, 48(%0)\n\t"
        "movq %%rsp, 56(%0)\n\t"
        "movq %%r12, 96(%0)\n\t"
        "movq %%r13, 104(%0)\n\t"
        "movq %%r14, 112(%0)\n\t"
        "movq %%r15, 120(%0)\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "movq %%rax, 128(%0)\n\t"
        "1:\n\t"
        :
        : "r"(r)
        : "rax", "memory");
    const uint64_t sp = snap.regs[7];
    size_t len = kStackCopy;
    if (stack_end > sp) len = std::min<uint64_t>(len, stack_end - sp);
    copy_raw(sp, snap.stack.data(), len);
    snap.stack.resize(len);
}

TL_TEST_NOINLINE void inner_distinctive_fn(StackSnapshot& snap) {
    g_inner_call_line = __LINE__ + 1;
    capture_snapshot(snap);
    g_sink = g_sink + 1;  // work after the call: no tail call, a real frame
}

TL_TEST_NOINLINE void outer_distinctive_fn(StackSnapshot& snap) {
    g_outer_call_line = __LINE__ + 1;
    inner_distinctive_fn(snap);
    g_sink = g_sink + 1;
}

int g_inlined_capture_line = 0;
int g_inlined_leaf_call_line = 0;
int g_inlined_middle_call_line = 0;

// Always inlined, two levels deep, into calls_inlined_distinctive_middle: its
// capture_snapshot call sits in that function's code, inside two nested
// inlined_subroutine scopes.
static inline __attribute__((always_inline)) void inlined_distinctive_leaf(StackSnapshot& snap) {
    g_inlined_capture_line = __LINE__ + 1;
    capture_snapshot(snap);
    g_sink = g_sink + 1;
}

static inline __attribute__((always_inline)) void inlined_distinctive_middle(StackSnapshot& snap) {
    g_inlined_leaf_call_line = __LINE__ + 1;
    inlined_distinctive_leaf(snap);
    g_sink = g_sink + 1;
}

TL_TEST_NOINLINE void calls_inlined_distinctive_middle(StackSnapshot& snap) {
    g_inlined_middle_call_line = __LINE__ + 1;
    inlined_distinctive_middle(snap);
    g_sink = g_sink + 1;
}

// syscall(2) rather than read(2): sanitizer runtimes intercept read, and
// their frames need rbp, which /proc/PID/task/TID/syscall does not give.
TL_TEST_NOINLINE void blocked_distinctive_fn(int fd) {
    char c = 0;
    long n = syscall(SYS_read, fd, &c, 1);
    g_sink = g_sink + static_cast<int>(n);
}

std::string describe(const Stack& stack) {
    std::ostringstream os;
    for (size_t i = 0; i < stack.size(); ++i) {
        const Frame& f = stack[i];
        os << "#" << i << " 0x" << std::hex << f.address << std::dec << " "
           << f.function.value_or("??") << " (" << f.module << "+0x" << std::hex << f.offset
           << std::dec << ")";
        if (f.file) os << " " << *f.file << ":" << f.line.value_or(0);
        os << "\n";
    }
    return os.str();
}

// Index of the first frame whose function contains `name`, or -1.
int find_frame(const Stack& stack, const std::string& name) {
    for (size_t i = 0; i < stack.size(); ++i) {
        if (stack[i].function && stack[i].function->find(name) != std::string::npos) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// `symbol` as defined in the already loaded `library`, not an interposer
// (sanitizer runtimes intercept pthread_create, write, ...).
uint64_t addr_of(const char* symbol, const char* library) {
    void* handle = dlopen(library, RTLD_NOW | RTLD_NOLOAD);
    if (handle == nullptr) return 0;
    auto addr = reinterpret_cast<uint64_t>(dlsym(handle, symbol));
    dlclose(handle);
    return addr;
}

// Load base dladdr() reports for the object holding `addr`.
uint64_t object_base(uint64_t addr) {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(addr), &info) == 0) return 0;
    return reinterpret_cast<uint64_t>(info.dli_fbase);
}

std::string self_exe() {
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

bool self_is_pie() {
    std::ifstream in("/proc/self/exe", std::ios::binary);
    Elf64_Ehdr ehdr{};
    in.read(reinterpret_cast<char*>(&ehdr), sizeof ehdr);
    return ehdr.e_type == ET_DYN;
}

// Address of the first `syscall` instruction (0f 05) in `fn`'s first bytes.
uint64_t find_syscall_insn(uint64_t fn) {
    const auto* code = reinterpret_cast<const unsigned char*>(fn);
    for (size_t i = 0; i + 1 < 256; ++i) {
        if (code[i] == 0x0f && code[i + 1] == 0x05) return fn + i;
    }
    return 0;
}

TEST(ProcessImage, UnwindsOwnStackThroughDistinctiveFrames) {
    StackSnapshot snap;
    outer_distinctive_fn(snap);
    ASSERT_GT(snap.stack.size(), 64u);

    ProcessImage image(getpid());
    ASSERT_TRUE(image.load_proc_maps());
    Stack stack = image.resolve_stack(snap);
    SCOPED_TRACE(describe(stack));

    const int capture = find_frame(stack, "capture_snapshot");
    const int inner = find_frame(stack, "inner_distinctive_fn");
    const int outer = find_frame(stack, "outer_distinctive_fn");
    EXPECT_EQ(capture, 0);
    EXPECT_EQ(inner, 1);
    EXPECT_EQ(outer, 2);
    ASSERT_GE(inner, 0);
    ASSERT_GE(outer, 0);

    const Frame& fi = stack[static_cast<size_t>(inner)];
    const Frame& fo = stack[static_cast<size_t>(outer)];
    ASSERT_TRUE(fi.file.has_value());
    EXPECT_TRUE(ends_with(*fi.file, "tests/unit/stacks/process_image_test.cpp")) << *fi.file;
    EXPECT_EQ(fi.line, g_inner_call_line);
    ASSERT_TRUE(fo.file.has_value());
    EXPECT_TRUE(ends_with(*fo.file, "tests/unit/stacks/process_image_test.cpp")) << *fo.file;
    EXPECT_EQ(fo.line, g_outer_call_line);
    EXPECT_EQ(fi.module, self_exe());

    // Callers are return addresses; the walk reaches main through gtest.
    EXPECT_GE(find_frame(stack, "TestBody"), outer);
    EXPECT_GT(find_frame(stack, "main"), outer);
}

TEST(ProcessImage, ExpandsInlinedCallsIntoFrames) {
    StackSnapshot snap;
    calls_inlined_distinctive_middle(snap);
    ASSERT_GT(snap.stack.size(), 64u);

    ProcessImage image(getpid());
    ASSERT_TRUE(image.load_proc_maps());
    Stack stack = image.resolve_stack(snap);
    SCOPED_TRACE(describe(stack));

    // capture_snapshot, then one physical frame (one return address) split
    // into the inlined leaf, the inlined middle and their noinline caller.
    const int leaf = find_frame(stack, "inlined_distinctive_leaf");
    const int middle = find_frame(stack, "inlined_distinctive_middle");
    const int caller = find_frame(stack, "calls_inlined_distinctive_middle");
    EXPECT_EQ(find_frame(stack, "capture_snapshot"), 0);
    ASSERT_EQ(leaf, 1);
    ASSERT_EQ(middle, 2);
    ASSERT_EQ(caller, 3);
    const Frame& fl = stack[1];
    const Frame& fm = stack[2];
    const Frame& fc = stack[3];
    for (const Frame* f : {&fl, &fm}) {
        EXPECT_EQ(f->address, fc.address);
        EXPECT_EQ(f->module, fc.module);
        EXPECT_EQ(f->offset, fc.offset);
    }
    EXPECT_EQ(fc.module, self_exe());

    // The leaf at its own line, each outer level at the line calling the
    // level inside it.
    for (const Frame* f : {&fl, &fm, &fc}) {
        ASSERT_TRUE(f->file.has_value());
        EXPECT_TRUE(ends_with(*f->file, "tests/unit/stacks/process_image_test.cpp")) << *f->file;
    }
    EXPECT_EQ(fl.line, g_inlined_capture_line);
    EXPECT_EQ(fm.line, g_inlined_leaf_call_line);
    EXPECT_EQ(fc.line, g_inlined_middle_call_line);
    EXPECT_GT(find_frame(stack, "TestBody"), caller);

    // The same pc one frame at a time: the physical function (named from the
    // symbol table) with the innermost line.
    Frame collapsed = image.symbolize({fc.address, true});
    ASSERT_TRUE(collapsed.function.has_value());
    EXPECT_NE(collapsed.function->find("calls_inlined_distinctive_middle"), std::string::npos);
    EXPECT_EQ(collapsed.line, g_inlined_capture_line);
    std::vector<Frame> expanded = image.symbolize_inline({fc.address, true});
    ASSERT_EQ(expanded.size(), 3u);
    EXPECT_EQ(expanded[0].function, fl.function);
    EXPECT_EQ(expanded[1].function, fm.function);
    EXPECT_EQ(expanded[2].function, fc.function);
    EXPECT_EQ(expanded[2].line, g_inlined_middle_call_line);
}

/// The NT_GNU_BUILD_ID note of the loaded object holding `addr`, in hex, read
/// from its program headers in memory (not from the file, as libdwfl does).
std::string loaded_build_id(uint64_t addr) {
    struct Query {
        uint64_t addr;
        std::string hex;
    } q{addr, ""};
    dl_iterate_phdr(
        [](struct dl_phdr_info* info, size_t, void* data) {
            auto* q = static_cast<Query*>(data);
            bool holds = false;
            for (int i = 0; i < info->dlpi_phnum; ++i) {
                const ElfW(Phdr)& ph = info->dlpi_phdr[i];
                const uint64_t start = info->dlpi_addr + ph.p_vaddr;
                holds |= ph.p_type == PT_LOAD && q->addr >= start && q->addr < start + ph.p_memsz;
            }
            if (!holds) return 0;
            for (int i = 0; i < info->dlpi_phnum; ++i) {
                const ElfW(Phdr)& ph = info->dlpi_phdr[i];
                if (ph.p_type != PT_NOTE) continue;
                const auto* p = reinterpret_cast<const uint8_t*>(info->dlpi_addr + ph.p_vaddr);
                for (size_t off = 0; off + sizeof(ElfW(Nhdr)) <= ph.p_memsz;) {
                    const auto* n = reinterpret_cast<const ElfW(Nhdr)*>(p + off);
                    const size_t name = (n->n_namesz + 3) & ~size_t{3}, desc = (n->n_descsz + 3) & ~size_t{3};
                    const uint8_t* d = p + off + sizeof *n + name;
                    if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(p + off + sizeof *n, "GNU", 4) == 0) {
                        char buf[3];
                        for (size_t k = 0; k < n->n_descsz; ++k) {
                            snprintf(buf, sizeof buf, "%02x", d[k]);
                            q->hex += buf;
                        }
                        return 1;
                    }
                    off += sizeof *n + name + desc;
                }
            }
            return 1;
        },
        &q);
    return q.hex;
}

TEST(ProcessImage, FramesCarryTheirModulesBuildId) {
    StackSnapshot snap;
    outer_distinctive_fn(snap);
    ProcessImage image(getpid());
    ASSERT_TRUE(image.load_proc_maps());
    const Stack stack = image.resolve_stack(snap);
    const int outer = find_frame(stack, "outer_distinctive_fn");
    ASSERT_GE(outer, 0) << describe(stack);
    const Frame& own = stack[static_cast<size_t>(outer)];
    const std::string own_id = loaded_build_id(own.address);
    ASSERT_EQ(own_id.size(), 40u) << "the test binary is linked with a SHA-1 build-id";
    EXPECT_EQ(own.build_id, own_id);

    const uint64_t in_libc = addr_of("__cxa_finalize");
    ASSERT_NE(in_libc, 0u);
    const Frame libc = image.symbolize({in_libc, false});
    EXPECT_EQ(libc.build_id, loaded_build_id(in_libc));
    EXPECT_FALSE(libc.build_id.empty());
    EXPECT_NE(libc.build_id, own.build_id);
    EXPECT_EQ(image.symbolize({0x10000, false}).build_id, "") << "no module, no build-id";
}

TEST(ProcessImage, KeepsOneFrameWithoutDebugInfo) {
    // libstdc++ has only .dynsym: no DWARF, no inline levels, one frame.
    const uint64_t cxx = addr_of("__cxa_demangle", "libstdc++.so.6");
    ASSERT_NE(cxx, 0u);
    ProcessImage image(getpid());
    ASSERT_TRUE(image.load_proc_maps());
    std::vector<Frame> frames = image.symbolize_inline({cxx + 1, true});
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].function, "__cxa_demangle");
    EXPECT_FALSE(frames[0].file.has_value());
}

TEST(ProcessImage, UnwindMarksReturnAddressesAndHonoursMaxFrames) {
    StackSnapshot snap;
    outer_distinctive_fn(snap);
    ProcessImage image(getpid());
    ASSERT_TRUE(image.load_proc_maps());

    std::vector<RawFrame> frames = image.unwind(snap);
    ASSERT_GE(frames.size(), 4u);
    EXPECT_EQ(frames[0].pc, snap.regs[16]);
    EXPECT_FALSE(frames[0].is_return_address);
    for (size_t i = 1; i < frames.size(); ++i) EXPECT_TRUE(frames[i].is_return_address) << i;

    EXPECT_EQ(image.unwind(snap, 2).size(), 2u);
    EXPECT_EQ(image.unwind(snap, 1).size(), 1u);
}

StackSnapshot leaf_snapshot_at(const StackSnapshot& real, uint64_t pc) {
    StackSnapshot s = real;
    s.regs[7] = real.regs[7] - 8;
    s.regs[16] = pc;
    s.stack.resize(real.stack.size() + 8);
    std::memcpy(s.stack.data(), &real.regs[16], 8);
    std::memcpy(s.stack.data() + 8, real.stack.data(), real.stack.size());
    return s;
}

TEST(ProcessImage, RestartsFromReturnAddressWhereCloneHasNoCfi) {
    // glibc's clone ends its FDE before `syscall`: the trap libdwfl falls into
    // (it would then follow rbp, which is no frame pointer here).
    const uint64_t syscall_pc = find_syscall_insn(addr_of("clone"));
    ASSERT_NE(syscall_pc, 0u);
    StackSnapshot real;
    outer_distinctive_fn(real);
    StackSnapshot snap = leaf_snapshot_at(real, syscall_pc);
    snap.regs[6] = 0x1234;  // garbage rbp, as in a thread inside clone

    ProcessImage image(getpid());
    ASSERT_TRUE(image.load_proc_maps());
    Stack stack = image.resolve_stack(snap);
    SCOPED_TRACE(describe(stack));
    ASSERT_GE(stack.size(), 4u);
    EXPECT_EQ(stack[0].address, syscall_pc);
    ASSERT_TRUE(stack[0].function.has_value());
    EXPECT_NE(stack[0].function->find("clone"), std::string::npos);
    EXPECT_EQ(stack[1].address, real.regs[16]);
    EXPECT_EQ(find_frame(stack, "capture_snapshot"), 1);
    EXPECT_EQ(find_frame(stack, "inner_distinctive_fn"), 2);
    EXPECT_EQ(find_frame(stack, "outer_distinctive_fn"), 3);
}

TEST(ProcessImage, PcOutsideAnyModuleStillYieldsFrames) {
    StackSnapshot real;
    outer_distinctive_fn(real);
    ProcessImage image(getpid());
    ASSERT_TRUE(image.load_proc_maps());

    // Unmapped pc, valid return address at [sp]: frame 0 then the callers.
    const uint64_t bogus = 0x10000;
    Stack stack = image.resolve_stack(leaf_snapshot_at(real, bogus));
    SCOPED_TRACE(describe(stack));
    ASSERT_GE(stack.size(), 3u);
    EXPECT_EQ(stack[0].address, bogus);
    EXPECT_EQ(stack[0].module, "[unknown]");
    EXPECT_EQ(stack[0].offset, bogus);
    EXPECT_FALSE(stack[0].function.has_value());
    EXPECT_EQ(find_frame(stack, "inner_distinctive_fn"), 2);

    // Nothing usable at all: just the pc.
    StackSnapshot empty;
    empty.regs[16] = bogus;
    empty.regs[7] = 0x7000;
    std::vector<RawFrame> frames = image.unwind(empty);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].pc, bogus);

    // A stack copy full of junk ends the walk, without crashing.
    StackSnapshot junk = real;
    std::fill(junk.stack.begin(), junk.stack.end(), 0xab);
    EXPECT_GE(image.unwind(junk).size(), 1u);

    StackSnapshot none;
    EXPECT_TRUE(image.unwind(none).empty());
}

std::optional<std::vector<std::string>> syscall_fields(pid_t tid) {
    std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
    std::vector<std::string> fields;
    for (std::string f; in >> f;) fields.push_back(f);
    if (fields.size() != 9) return std::nullopt;
    return fields;
}

TEST(ProcessImage, UnwindsAThreadBlockedInReadDownToClone) {
    // The real use case: a parked thread, unwound from sp/pc alone (as
    // /proc/PID/task/TID/syscall gives them) and a copy of its stack.
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    std::atomic<pid_t> tid{0};
    std::thread t([&] {
        tid = gettid();
        blocked_distinctive_fn(fds[0]);
    });
    std::optional<std::vector<std::string>> fields;
    for (int i = 0; i < 2000; ++i) {
        if (tid != 0 && (fields = syscall_fields(tid)) && (*fields)[0] == "0") break;
        fields.reset();
        usleep(1000);
    }
    StackSnapshot snap;
    if (fields) {
        const uint64_t sp = std::stoull((*fields)[7], nullptr, 16);
        snap.regs[7] = sp;
        snap.regs[16] = std::stoull((*fields)[8], nullptr, 16);
        const uint64_t end = mapping_end(sp);
        const size_t len = end > sp ? std::min<uint64_t>(kStackCopy, end - sp) : 0;
        snap.stack.resize(len);
        copy_raw(sp, snap.stack.data(), len);
    }
    ASSERT_EQ(write(fds[1], "x", 1), 1);
    t.join();
    close(fds[0]);
    close(fds[1]);
    ASSERT_TRUE(fields.has_value()) << "thread never blocked in read";

    ProcessImage image(getpid());
    ASSERT_TRUE(image.load_proc_maps());
    Stack stack = image.resolve_stack(snap);
    SCOPED_TRACE(describe(stack));
    ASSERT_FALSE(stack.empty());
    ASSERT_TRUE(stack[0].function.has_value());
    EXPECT_EQ(*stack[0].function, "syscall");
    const int blocked = find_frame(stack, "blocked_distinctive_fn");
    EXPECT_GT(blocked, 0);
    EXPECT_GT(find_frame(stack, "start_thread"), blocked);
    ASSERT_TRUE(stack.back().function.has_value());
    EXPECT_NE(stack.back().function->find("clone"), std::string::npos);  // CFI ends here
}

size_t open_fd_count() {
    size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
        (void)entry;
        ++n;
    }
    return n;
}

TEST(ProcessImage, HoldsNoFileItselfTheCacheClosesThemAll) {
    const size_t before = open_fd_count();
    {
        threadleak::ModuleCache cache;
        {
            StackSnapshot snap;
            outer_distinctive_fn(snap);
            ProcessImage image(getpid(), "", cache);
            ASSERT_TRUE(image.load_proc_maps());
            Stack stack = image.resolve_stack(snap);  // loads debug info too
            ASSERT_GE(stack.size(), 3u);
            EXPECT_GT(open_fd_count(), before);
        }
        // The files stay open for the next process that maps them.
        EXPECT_GT(cache.open_sessions(), 0u);
        EXPECT_GT(open_fd_count(), before);
    }
    EXPECT_EQ(open_fd_count(), before);
}

TEST(ProcessImage, ClosesItsRootAtCloseFilesAndStillResolves) {
    threadleak::ModuleCache cache;
    threadleak::OwnedFd root(open("/proc/self/root", O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root);
    ProcessImage image(getpid(), std::move(root), cache);
    ASSERT_TRUE(image.load_proc_maps());
    const size_t with_root = open_fd_count();
    StackSnapshot snap;
    outer_distinctive_fn(snap);

    image.close_files();
    EXPECT_TRUE(image.files_closed());
    EXPECT_EQ(open_fd_count(), with_root - 1);
    EXPECT_GE(find_frame(image.resolve_stack(snap), "outer_distinctive_fn"), 0);
    // No more mappings are taken: nothing could open them inside the root.
    const auto addr = reinterpret_cast<uint64_t>(&outer_distinctive_fn);
    ProcessImage other(getpid(), "", cache);
    other.close_files();
    other.load_proc_maps();
    EXPECT_EQ(other.symbolize({addr, false}).module, "[unknown]");
}

}  // namespace pi_test
