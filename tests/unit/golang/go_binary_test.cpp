// The Go binary reader against real builds of tests/fixtures/go_reader/hello.go
// by the installed Go toolchain: plain, -ldflags=-s -w, PIE, stripped PIE, cgo,
// strip(1) twins (same layout as their unstripped originals, so their decoded
// addresses must equal the originals' .symtab) and one with no section headers.
// Expected values come from the toolchain itself (`go version`, `go tool nm`,
// `go tool objdump`), not from the code under test. Skipped when go is missing.
#include <elf.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "analyze/go_frame_names.h"
#include "golang/elf_image.h"
#include "golang/go_binary.h"
#include "golang/go_pclntab.h"
#include "go_fixture.h"

namespace {

using threadleak::GoBinary;
using threadleak::GoSymbols;
using threadleak::read_go_binary;
using go_fixture::go_nm;
using go_fixture::run;

class GoBinaryTest : public testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!go_fixture::have_go()) {
            skip_why_ = "no go toolchain";
            return;
        }
        src_dir_ = go_fixture::source_dir();
        build_errors_ += go_fixture::go_build("plain", "", "hello.go");
        build_errors_ += go_fixture::go_build("stripped", "-ldflags='-s -w'", "hello.go");
        build_errors_ += go_fixture::go_build("pie", "-buildmode=pie", "hello.go");
        build_errors_ += go_fixture::go_build("stripped_pie", "-buildmode=pie -ldflags='-s -w'", "hello.go");
        build_errors_ += go_fixture::go_build("cgo", "", "hello_cgo.go");
        for (const char* name : {"plain", "pie", "cgo"})
            run("strip -o '" + bin(std::string(name) + "_strip1") + "' '" + bin(name) + "' 2>&1");
        if (!go_fixture::drop_section_headers(bin("stripped"), bin("noshdr"))) build_errors_ += "noshdr: copy failed\n";

        std::istringstream v(run("go version"));  // "go version go1.19.8 linux/amd64"
        std::string w1, w2;
        v >> w1 >> w2 >> go_version_;
    }

    void SetUp() override {
        if (!skip_why_.empty()) GTEST_SKIP() << skip_why_;
        ASSERT_EQ(build_errors_, "");
    }

    static std::string bin(const std::string& name) { return go_fixture::fixture(name); }

    static GoBinary read(const std::string& name) {
        std::string why;
        auto b = read_go_binary(bin(name), &why);
        EXPECT_TRUE(b.has_value()) << why;
        return b.value_or(GoBinary{});
    }

    /// File offset of a text address, by the .text section header of the unstripped file.
    static uint64_t text_offset(const std::string& name, uint64_t vaddr) {
        auto img = threadleak::ElfImage::open(bin(name), nullptr);
        const threadleak::ElfSection* text = img ? img->section(".text") : nullptr;
        return text ? vaddr - text->addr + text->offset : 0;
    }

    static inline std::string skip_why_, build_errors_, src_dir_, go_version_;
};

TEST_F(GoBinaryTest, VersionAndKindOfEveryVariant) {
    for (const char* name : {"plain", "stripped", "pie", "stripped_pie", "cgo", "plain_strip1", "noshdr"}) {
        SCOPED_TRACE(name);
        EXPECT_TRUE(threadleak::is_go_binary(bin(name)));
        GoBinary b = read(name);
        EXPECT_EQ(b.version, go_version_);
        EXPECT_EQ(b.path, bin(name));
    }
    EXPECT_FALSE(read("plain").pie);
    EXPECT_TRUE(read("pie").pie);
    EXPECT_TRUE(read("stripped_pie").pie);
    EXPECT_FALSE(read("plain").stripped);
    EXPECT_TRUE(read("stripped").stripped);
    EXPECT_TRUE(read("plain_strip1").stripped);
    EXPECT_TRUE(read("plain").has_dwarf);
    EXPECT_FALSE(read("stripped").has_dwarf);
}

TEST_F(GoBinaryTest, DwarfOffsetsEqualTheTableRow) {
    GoBinary dwarf = read("plain");
    ASSERT_EQ(dwarf.offsets_from, "dwarf");
    auto mm = threadleak::go_major_minor(go_version_);
    ASSERT_TRUE(mm);
    std::string row;
    auto table = threadleak::go_offsets_from_table(go_version_, &row);
    ASSERT_TRUE(table) << go_version_ << " has no table row";
    EXPECT_EQ(dwarf.offsets, *table);
    for (const char* name : {"stripped", "stripped_pie", "plain_strip1", "noshdr"}) {
        SCOPED_TRACE(name);
        GoBinary b = read(name);
        EXPECT_EQ(b.offsets_from, "table " + row);
        EXPECT_EQ(b.offsets, dwarf.offsets);
    }
    EXPECT_EQ(read("pie").offsets, dwarf.offsets);
    EXPECT_EQ(read("cgo").offsets, dwarf.offsets);
    if (row == "go1.19") {  // the DWARF of Debian's go1.19.8, written down in the notes
        const auto& o = dwarf.offsets;
        EXPECT_EQ(o.goid, 152u);
        EXPECT_EQ(o.atomicstatus, 144u);
        EXPECT_EQ(o.waitsince, 168u);
        EXPECT_EQ(o.waitreason, 176u);
        EXPECT_EQ(o.gopc, 296u);
        EXPECT_EQ(o.startpc, 312u);
        EXPECT_EQ(o.sched_sp, 56u);
        EXPECT_EQ(o.sched_pc, 64u);
        EXPECT_EQ(o.sched_bp, 104u);
        EXPECT_EQ(o.parent_goid, 0u);
        EXPECT_EQ(o.g_size, 392u);
    }
}

TEST_F(GoBinaryTest, AddressesFromSymtabMatchGoToolNm) {
    for (const char* name : {"plain", "pie", "cgo"}) {
        SCOPED_TRACE(name);
        auto nm = go_nm(bin(name));
        GoBinary b = read(name);
        EXPECT_EQ(b.allgs_from, "symtab");
        EXPECT_EQ(b.allgs, nm["runtime.allgs"].addr);
        EXPECT_EQ(b.wait_reason_strings, nm["runtime.waitReasonStrings"].addr);
        EXPECT_EQ(b.wait_reason_count, nm["runtime.waitReasonStrings"].size / 16);
        EXPECT_EQ(b.runtime_exit_vaddr, nm["runtime.exit.abi0"].addr);
        EXPECT_EQ(b.runtime_exit_file_offset, text_offset(name, b.runtime_exit_vaddr));
        if (go_version_.rfind("go1.19", 0) == 0) {
            EXPECT_EQ(b.wait_reason_count, 27u);
        }
    }
}

// strip(1) keeps the layout: what is decoded from code must be the original's .symtab.
TEST_F(GoBinaryTest, AddressesDecodedFromCodeMatchTheUnstrippedTwin) {
    for (const char* name : {"plain", "pie", "cgo"}) {
        SCOPED_TRACE(name);
        GoBinary orig = read(name);
        GoBinary twin = read(std::string(name) + "_strip1");
        EXPECT_EQ(twin.allgs_from, "code");
        EXPECT_EQ(twin.wait_reasons_from, "code");
        EXPECT_EQ(twin.exit_from, "pclntab");
        EXPECT_EQ(twin.allgs, orig.allgs);
        EXPECT_EQ(twin.wait_reason_strings, orig.wait_reason_strings);
        EXPECT_EQ(twin.wait_reason_count, orig.wait_reason_count);
        EXPECT_EQ(twin.runtime_exit_vaddr, orig.runtime_exit_vaddr);
        EXPECT_EQ(twin.runtime_exit_file_offset, orig.runtime_exit_file_offset);
    }
}

// -ldflags=-s -w moves data (the build info records the flags): no twin to compare
// with, so check the decoded addresses land where such variables live.
TEST_F(GoBinaryTest, LinkerStrippedBinariesDecodeAddressesIntoData) {
    GoBinary plain = read("plain");
    for (const char* name : {"stripped", "stripped_pie", "noshdr"}) {
        SCOPED_TRACE(name);
        GoBinary b = read(name);
        EXPECT_EQ(b.allgs_from, "code");
        EXPECT_EQ(b.wait_reason_count, plain.wait_reason_count);
        auto img = threadleak::ElfImage::open(bin(name == std::string("noshdr") ? "stripped" : name), nullptr);
        ASSERT_TRUE(img);
        const threadleak::ElfSection* bss = img->section(".bss");
        const threadleak::ElfSection* data = img->section(".data");
        ASSERT_TRUE(bss && data);
        EXPECT_GE(b.allgs, bss->addr);  // var allgs []*g: zero-initialised, with pointers
        EXPECT_LT(b.allgs + 24, bss->addr + bss->size);
        EXPECT_GE(b.wait_reason_strings, data->addr);  // initialised, with pointers
        EXPECT_LE(b.wait_reason_strings + 16 * b.wait_reason_count, data->addr + data->size);
        EXPECT_EQ(b.runtime_exit_file_offset, text_offset(name == std::string("noshdr") ? "stripped" : name,
                                                          b.runtime_exit_vaddr));
    }
    // Same code, same text: only data moved.
    EXPECT_EQ(read("stripped").runtime_exit_vaddr, plain.runtime_exit_vaddr);
}

TEST_F(GoBinaryTest, SymbolsFromPclntabMatchGoToolObjdump) {
    auto nm = go_nm(bin("plain"));
    // "  hello.go:18		0x48107a		e88143f8ff		CALL runtime.chanrecv1(SB)"
    std::istringstream dump(run("go tool objdump -s '^main.leakRecv.func1$' '" + bin("plain") + "'"));
    uint64_t call_pc = 0;
    int call_line = 0;
    std::string line;
    while (std::getline(dump, line)) {
        if (line.find("runtime.chanrecv1") == std::string::npos) continue;
        std::istringstream f(line);
        std::string where, pc;
        f >> where >> pc;
        call_line = std::stoi(where.substr(where.find(':') + 1));
        call_pc = std::stoull(pc, nullptr, 16);
    }
    ASSERT_NE(call_pc, 0u);
    EXPECT_EQ(call_line, 18);  // `<-ch` in hello.go

    for (const char* name : {"plain", "stripped", "noshdr"}) {
        SCOPED_TRACE(name);
        std::string why;
        auto syms = GoSymbols::open(bin(name), &why);
        ASSERT_TRUE(syms) << why;
        EXPECT_EQ(syms->entry_of("main.someFunc"), nm["main.someFunc"].addr);
        EXPECT_EQ(syms->entry_of("runtime.allgadd"), nm["runtime.allgadd"].addr);
        EXPECT_FALSE(syms->entry_of("main.noSuchFunc"));

        auto f = syms->lookup(nm["main.someFunc"].addr + 4);
        ASSERT_TRUE(f);
        EXPECT_EQ(f->name, "main.someFunc");
        EXPECT_EQ(f->entry, nm["main.someFunc"].addr);
        EXPECT_EQ(f->file, src_dir_ + "/hello.go");
        EXPECT_EQ(f->line, 12);

        auto g = syms->lookup(call_pc);
        ASSERT_TRUE(g);
        EXPECT_EQ(g->name, "main.leakRecv.func1");
        EXPECT_EQ(g->line, call_line);
        auto ret = syms->lookup(call_pc + 5 - 1);  // a return address minus one: the call
        ASSERT_TRUE(ret);
        EXPECT_EQ(ret->line, call_line);

        auto rt = syms->lookup(nm["runtime.allgadd"].addr);
        ASSERT_TRUE(rt);
        EXPECT_EQ(rt->name, "runtime.allgadd");
        EXPECT_NE(rt->file.find("runtime/proc.go"), std::string::npos);
        EXPECT_GT(rt->line, 0);

        EXPECT_FALSE(syms->lookup(0x1000));  // before text
    }
}

TEST_F(GoBinaryTest, NonGoProgramsAreRefused) {
    EXPECT_FALSE(threadleak::is_go_binary("/bin/true"));
    std::string why;
    EXPECT_FALSE(read_go_binary("/bin/true", &why));
    EXPECT_NE(why.find("not a Go program"), std::string::npos) << why;
    why.clear();
    EXPECT_FALSE(read_go_binary(src_dir_ + "/hello.go", &why));
    EXPECT_NE(why.find("not an ELF"), std::string::npos) << why;
    why.clear();
    EXPECT_FALSE(read_go_binary("/nonexistent/x", &why));
    EXPECT_FALSE(why.empty());
    EXPECT_FALSE(GoSymbols::open("/bin/true", &why));
    EXPECT_NE(why.find("gopclntab"), std::string::npos) << why;
}

}  // namespace

// The version table alone: no toolchain needed.
TEST(GoOffsetsTable, RowsByMajorMinor) {
    using threadleak::go_offsets_from_table;
    std::string row;
    auto o19 = go_offsets_from_table("go1.19.8", &row);
    ASSERT_TRUE(o19);
    EXPECT_EQ(row, "go1.19");
    EXPECT_EQ(o19->goid, 152u);
    auto o21 = go_offsets_from_table("go1.21rc2", &row);
    ASSERT_TRUE(o21);
    EXPECT_EQ(row, "go1.21");
    EXPECT_EQ(o21->parent_goid, 272u);
    EXPECT_EQ(o21->gopc, 280u);
    auto o23 = go_offsets_from_table("go1.23.4", &row);
    ASSERT_TRUE(o23);
    EXPECT_EQ(o23->goid, 160u);  // syscallbp (1.23) moves everything after sched
    EXPECT_EQ(o23->startpc, 304u);
    EXPECT_FALSE(go_offsets_from_table("go1.16.15", &row));
    EXPECT_FALSE(go_offsets_from_table("go1.24.0", &row));
    EXPECT_FALSE(go_offsets_from_table("devel go1.24-abcdef", &row));
    EXPECT_EQ(threadleak::go_major_minor("go1.20"), std::make_pair(1, 20));
    EXPECT_FALSE(threadleak::go_major_minor("gox"));
}

// Thread frames of a stripped Go binary: the ELF symbolizer finds no symbol,
// analyze/go_frame_names names them from .gopclntab (a return address at pc - 1).
TEST_F(GoBinaryTest, StrippedFramesAreNamedFromPclntab) {
    std::string why;
    auto syms = GoSymbols::open(bin("stripped"), &why);
    ASSERT_TRUE(syms) << why;
    auto entry = syms->entry_of("main.someFunc");
    ASSERT_TRUE(entry);
    threadleak::Frame top, ret, other;
    top.module = ret.module = bin("stripped");
    top.offset = *entry;      // the innermost frame: its own pc
    ret.offset = *entry + 1;  // a return address just past the entry: still main.someFunc at pc - 1
    other.module = "/bin/true";
    other.offset = 0x1000;
    threadleak::Stack stack = {top, ret, other};
    threadleak::name_go_frames(stack);
    EXPECT_EQ(stack[0].function, "main.someFunc");
    EXPECT_EQ(stack[1].function, "main.someFunc");
    ASSERT_TRUE(stack[0].file);
    EXPECT_TRUE(stack[0].file->ends_with("hello.go")) << *stack[0].file;
    EXPECT_FALSE(stack[2].function) << "not a Go executable: left alone";
}
