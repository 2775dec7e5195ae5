// Symbolization, module files, /proc/PID/maps lines, load bias and demangling,
// against this very test process (helpers: process_image_test_support.h).
#include <dlfcn.h>
#include <elf.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "capture/proc_maps_line.h"
#include "process_image_test_support.h"
#include "stacks/dwfl_symbolize.h"
#include "stacks/elf_load_bias.h"
#include "stacks/process_image.h"

namespace pi_test {

using threadleak::Frame;
using threadleak::ProcessImage;
using threadleak::RawFrame;
using threadleak::Stack;
using threadleak::StackSnapshot;

TEST(ProcessImage, SymbolizesLibcFunctionWithModuleAndOffset) {
    const uint64_t addr = addr_of("pthread_create");
    ASSERT_NE(addr, 0u);
    ProcessImage image(getpid());
    ASSERT_TRUE(image.load_proc_maps());

    Frame f = image.symbolize({addr, false});
    ASSERT_TRUE(f.function.has_value()) << f.module;
    EXPECT_NE(f.function->find("pthread_create"), std::string::npos) << *f.function;
    EXPECT_EQ(f.function_offset, 0u);
    EXPECT_TRUE(ends_with(f.module, "libc.so.6")) << f.module;
    EXPECT_EQ(f.address, addr);
    EXPECT_EQ(f.offset, addr - object_base(addr));  // libc's first PT_LOAD has p_vaddr 0
}

TEST(ProcessImage, SymbolizesOwnExecutableAtItsLoadBias) {
    const auto addr = reinterpret_cast<uint64_t>(&outer_distinctive_fn);
    ProcessImage image(getpid());
    ASSERT_TRUE(image.load_proc_maps());

    Frame f = image.symbolize({addr, false});
    ASSERT_TRUE(f.function.has_value());
    EXPECT_NE(f.function->find("outer_distinctive_fn"), std::string::npos) << *f.function;
    EXPECT_EQ(f.function_offset, 0u);
    EXPECT_EQ(f.module, self_exe());
    EXPECT_EQ(f.offset, self_is_pie() ? addr - object_base(addr) : addr);
    ASSERT_TRUE(f.file.has_value());
    EXPECT_TRUE(ends_with(*f.file, "process_image_test.cpp")) << *f.file;
    EXPECT_TRUE(f.line.has_value());

    // A return address just past a function's first byte resolves to that
    // function at offset 1 (looked up at pc - 1, reported at pc).
    Frame r = image.symbolize({addr + 1, true});
    EXPECT_EQ(r.address, addr + 1);
    EXPECT_EQ(r.function, f.function);
    EXPECT_EQ(r.function_offset, 1u);
}

TEST(ProcessImage, NamesFunctionsFromDynsymOnly) {
    // Debian's libstdc++ has neither .symtab nor a debug file: only .dynsym.
    const uint64_t cxx = addr_of("__cxa_demangle", "libstdc++.so.6");
    ASSERT_NE(cxx, 0u);
    // libc is stripped as well (its .symtab comes from libc6-dbg when present).
    const uint64_t libc_write = addr_of("write");
    ASSERT_NE(libc_write, 0u);

    ProcessImage image(getpid());
    ASSERT_TRUE(image.load_proc_maps());
    Frame f = image.symbolize({cxx, false});
    EXPECT_NE(f.module.find("/libstdc++.so.6"), std::string::npos) << f.module;
    EXPECT_EQ(f.function, "__cxa_demangle");
    EXPECT_EQ(f.function_offset, 0u);

    Frame w = image.symbolize({libc_write, false});
    EXPECT_TRUE(ends_with(w.module, "libc.so.6")) << w.module;
    ASSERT_TRUE(w.function.has_value());
    EXPECT_NE(w.function->find("write"), std::string::npos) << *w.function;
}

// A snapshot as the kernel would capture a thread sitting at `pc` in a leaf
// without CFI: the leaf has pushed nothing, so [sp] holds the return address
// into capture_snapshot.

TEST(ProcessImage, ModulesAddedLaterResolveAddressesSeenBefore) {
    const auto addr = reinterpret_cast<uint64_t>(&inner_distinctive_fn);
    ProcessImage image(getpid());
    Frame before = image.symbolize({addr, false});
    EXPECT_EQ(before.module, "[unknown]");
    EXPECT_EQ(before.offset, addr);

    ASSERT_TRUE(image.load_proc_maps());
    Frame after = image.symbolize({addr, false});
    ASSERT_TRUE(after.function.has_value());
    EXPECT_NE(after.function->find("inner_distinctive_fn"), std::string::npos);
    // Adding the same mappings again changes nothing.
    ASSERT_TRUE(image.load_proc_maps());
    EXPECT_EQ(image.symbolize({addr, false}).function, after.function);
}

TEST(ProcessImage, OpensThroughRootDirThenPlainPath) {
    const auto addr = reinterpret_cast<uint64_t>(&outer_distinctive_fn);
    for (std::string root : {"/proc/self/root", "/nonexistent-root"}) {
        ProcessImage image(getpid(), root);
        ASSERT_TRUE(image.load_proc_maps());
        Frame f = image.symbolize({addr, false});
        EXPECT_EQ(f.module, self_exe()) << root;  // the path as mapped, not prefixed
        ASSERT_TRUE(f.function.has_value()) << root;
        EXPECT_NE(f.function->find("outer_distinctive_fn"), std::string::npos);
    }
}

TEST(ProcessImage, IgnoresNonFileAndUnopenableMappings) {
    ProcessImage image(getpid());
    image.add_mapping({0x10000, 0x20000, 0, 0, 0, "[vdso]"});
    image.add_mapping({0x20000, 0x30000, 0, 0, 0, ""});
    image.add_mapping({0x30000, 0x40000, 0, 0, 0, "/nonexistent/lib.so"});
    image.add_mapping({0x40000, 0x50000, 0, 0, 0, "/usr/bin/true (deleted)"});
    image.add_mapping({0x50000, 0x60000, 0, 0, 0, "/etc/hostname"});  // not ELF
    for (uint64_t pc : {0x10000, 0x20000, 0x30000, 0x40000, 0x50000}) {
        EXPECT_EQ(image.symbolize({static_cast<uint64_t>(pc), false}).module, "[unknown]") << pc;
    }
}

TEST(ProcessImage, PrefersInodeMatchButFallsBackToLivePath) {
    // The executable's own code mapping, with a wrong inode: the live path
    // still resolves (overlay filesystems report other inode numbers).
    const auto addr = reinterpret_cast<uint64_t>(&outer_distinctive_fn);
    std::ifstream in("/proc/self/maps");
    std::string line;
    std::optional<threadleak::MapsEntry> code;
    while (std::getline(in, line)) {
        auto e = threadleak::parse_maps_line(line);
        if (e && e->executable && e->mapping.start <= addr && addr < e->mapping.end) code = e;
    }
    ASSERT_TRUE(code.has_value());
    threadleak::Mapping m = code->mapping;
    m.ino += 1;
    ProcessImage image(getpid());
    image.add_mapping(m);
    Frame f = image.symbolize({addr, false});
    ASSERT_TRUE(f.function.has_value());
    EXPECT_NE(f.function->find("outer_distinctive_fn"), std::string::npos);
}

// "nr arg1 .. arg6 sp pc" while `tid` sits in a syscall; nullopt otherwise.

TEST(ProcessImageMaps, ParsesProcMapsLines) {
    auto e = threadleak::parse_maps_line(
        "7f0e1c028000-7f0e1c1bd000 r-xp 00028000 fd:01 1835041    /usr/lib/x86_64-linux-gnu/libc.so.6\n");
    ASSERT_TRUE(e.has_value());
    EXPECT_TRUE(e->executable);
    EXPECT_EQ(e->mapping.start, 0x7f0e1c028000u);
    EXPECT_EQ(e->mapping.end, 0x7f0e1c1bd000u);
    EXPECT_EQ(e->mapping.pgoff, 0x28000u);
    EXPECT_EQ(e->mapping.dev, (0xfdu << 20) | 1u);
    EXPECT_EQ(e->mapping.ino, 1835041u);
    EXPECT_EQ(e->mapping.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");

    auto spaces = threadleak::parse_maps_line(
        "55d0c2a00000-55d0c2a01000 r-xp 00001000 103:02 42 /opt/my app/bin (deleted)");
    ASSERT_TRUE(spaces.has_value());
    EXPECT_EQ(spaces->mapping.path, "/opt/my app/bin (deleted)");
    EXPECT_EQ(spaces->mapping.dev, (0x103u << 20) | 2u);

    auto anon = threadleak::parse_maps_line("7ffd1000-7ffd2000 rw-p 00000000 00:00 0 ");
    ASSERT_TRUE(anon.has_value());
    EXPECT_FALSE(anon->executable);
    EXPECT_EQ(anon->mapping.path, "");

    auto vdso = threadleak::parse_maps_line("7ffd3000-7ffd5000 r-xp 00000000 00:00 0    [vdso]");
    ASSERT_TRUE(vdso.has_value());
    EXPECT_FALSE(threadleak::is_file_backed_path(vdso->mapping.path));
    EXPECT_TRUE(threadleak::is_file_backed_path("/usr/lib/libc.so.6"));

    EXPECT_FALSE(threadleak::parse_maps_line("").has_value());
    EXPECT_FALSE(threadleak::parse_maps_line("garbage").has_value());
    EXPECT_FALSE(threadleak::parse_maps_line("1000-2000 r-xp zz 00:00 0").has_value());
}

TEST(ProcessImageBias, FromProgramHeaders) {
    using threadleak::load_bias;
    using threadleak::LoadSegment;
    constexpr uint64_t kPage = 4096;

    // GNU ld PIE / shared library: p_vaddr == p_offset.
    std::vector<LoadSegment> gnu = {{0, 0, 0x1000, false}, {0x1000, 0x1000, 0x2000, true}};
    EXPECT_EQ(load_bias(gnu, false, 0x555555555000, 0x1000, kPage), 0x555555554000u);

    // lld: the code segment sits one page higher in memory than in the file,
    // and shares its first file page with the read-only segment.
    std::vector<LoadSegment> lld = {{0, 0, 0x5a0, false}, {0x5a0, 0x15a0, 0x200, true}};
    EXPECT_EQ(load_bias(lld, false, 0x7f0000001000, 0, kPage), 0x7f0000000000u);

    // Fixed-address executable: addresses are absolute.
    std::vector<LoadSegment> exec = {{0, 0x400000, 0x1000, false}, {0x1000, 0x401000, 0x800, true}};
    EXPECT_EQ(load_bias(exec, true, 0x401000, 0x1000, kPage), 0u);

    // Prelinked library whose first segment is not at 0.
    std::vector<LoadSegment> prelinked = {{0, 0x3000000000, 0x1000, true}};
    EXPECT_EQ(load_bias(prelinked, false, 0x7f0000000000, 0, kPage),
              0x7f0000000000u - 0x3000000000u);

    EXPECT_FALSE(load_bias(gnu, false, 0x555555555000, 0x9000, kPage).has_value());
}

TEST(ProcessImageSymbols, DemanglesOnlyMangledNames) {
    EXPECT_EQ(threadleak::demangle_symbol("main"), "main");
    EXPECT_EQ(threadleak::demangle_symbol("i"), "i");
    EXPECT_EQ(threadleak::demangle_symbol("_ZN3foo3barEv"), "foo::bar()");
    EXPECT_EQ(threadleak::demangle_symbol("write@@GLIBC_2.2.5"), "write");
    EXPECT_EQ(threadleak::demangle_symbol("_Zbogus!"), "_Zbogus!");
}

TEST(ProcessImageSymbols, DemanglesRustLegacyAndV0Names) {
    // legacy: Itanium-shaped, with a trailing 17h<hash> component and $ escapes
    EXPECT_EQ(threadleak::demangle_symbol("_ZN3std6thread4park17h0123456789abcdefE"),
              "std::thread::park");
    EXPECT_EQ(threadleak::demangle_symbol("_ZN4core3ptr23drop_in_place$LT$u8$GT$17h0123456789abcdefE"),
              "core::ptr::drop_in_place<u8>");
    // v0
    EXPECT_EQ(threadleak::demangle_symbol("_RNvNtCs1234_7mycrate6worker5start"),
              "mycrate::worker::start");
}

}  // namespace pi_test
