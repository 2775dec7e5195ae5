// lookup_inlined: tests/unit/golang/testdata/inline.go built plain, -s -w, PIE,
// stripped PIE and -s -w without section headers, against Go's own traceback of the same pc (the fixture prints
// runtime.CallersFrames) and `go tool objdump`.
//
// .gopclntab formats the installed toolchain does not write: the Go 1.18 table of
// a real build, rewritten into the Go 1.16/1.17 layout (absolute uintptr entries,
// no textStart) and relabelled as Go 1.20 (same functab; _func grows after the
// fields read), must symbolize exactly like the original.
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "go_fixture.h"
#include "golang/elf_image.h"
#include "golang/go_pclntab.h"

namespace {

using threadleak::GoSymbols;

uint64_t get(const std::vector<uint8_t>& b, size_t off, size_t n) {
    uint64_t v = 0;
    std::memcpy(&v, b.data() + off, n);
    return v;
}
void put(std::vector<uint8_t>* b, size_t off, uint64_t v, size_t n) { std::memcpy(b->data() + off, &v, n); }

/// Go 1.18 table -> Go 1.16 layout. The name, cu, file and pc tables stay where
/// they are; a new function table and _func records are appended. Funcdata
/// offsets from `gofunc` become absolute addresses (0 = none), 8-aligned.
std::vector<uint8_t> to_go116(std::vector<uint8_t> t, uint64_t gofunc = 0) {
    const uint64_t nfunc = get(t, 8, 8), nfiles = get(t, 16, 8), text = get(t, 24, 8);
    const uint64_t funcname = get(t, 32, 8), cu = get(t, 40, 8), filetab = get(t, 48, 8), pctab = get(t, 56, 8),
                   pcln = get(t, 64, 8);
    const std::vector<uint8_t> old = t;
    t.resize((t.size() + 7) & ~uint64_t{7});
    const uint64_t new_pcln = t.size();
    const uint64_t functab_size = (2 * nfunc + 1) * 8;
    t.resize(new_pcln + functab_size, 0);
    for (uint64_t i = 0; i <= nfunc; ++i) {
        uint64_t entry = text + get(old, pcln + 8 * i, 4);
        put(&t, new_pcln + 16 * i, entry, 8);
        if (i == nfunc) break;
        uint64_t old_func = pcln + get(old, pcln + 8 * i + 4, 4);
        // entry uintptr, then nameoff .. nfuncdata as in 1.18 (36 bytes), pcdata, funcdata
        const uint64_t npcdata = get(old, old_func + 28, 4), nfuncdata = old[old_func + 39];
        const uint64_t pcdata_end = 44 + 4 * npcdata, func_size = ((pcdata_end + 7) & ~uint64_t{7}) + 8 * nfuncdata;
        uint64_t new_func = t.size() - new_pcln;  // relative to the new pcln; 8-aligned
        t.resize(t.size() + func_size, 0);
        put(&t, new_pcln + 16 * i + 8, new_func, 8);
        uint8_t* f = t.data() + new_pcln + new_func;
        std::memcpy(f, &entry, 8);
        std::memcpy(f + 8, old.data() + old_func + 4, 36 + 4 * npcdata);
        for (uint64_t k = 0; k < nfuncdata; ++k) {
            uint64_t off = get(old, old_func + 40 + 4 * npcdata + 4 * k, 4);
            uint64_t abs = off == 0xffffffffu || gofunc == 0 ? 0 : gofunc + off;
            std::memcpy(f + ((pcdata_end + 7) & ~uint64_t{7}) + 8 * k, &abs, 8);
        }
    }
    put(&t, 0, 0xfffffffa, 4);
    const uint64_t header[] = {nfunc, nfiles, funcname, cu, filetab, pctab, new_pcln};
    for (size_t i = 0; i < 7; ++i) put(&t, 8 + 8 * i, header[i], 8);
    put(&t, 64, 0, 8);  // the old pclnOffset word is padding now
    return t;
}

class GoPclntabFormats : public testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!go_fixture::have_go()) return;
        build_error_ = go_fixture::go_build("plain", "", "hello.go");
        auto img = threadleak::ElfImage::open(go_fixture::fixture("plain"), nullptr);
        const threadleak::ElfSection* s = img ? img->section(".gopclntab") : nullptr;
        if (s) {
            auto b = img->section_bytes(*s);
            table_.assign(b.begin(), b.end());
        }
        nm_ = go_fixture::go_nm(go_fixture::fixture("plain"));
    }
    void SetUp() override {
        if (!go_fixture::have_go()) GTEST_SKIP() << "no go toolchain";
        ASSERT_EQ(build_error_, "");
        ASSERT_GE(table_.size(), 72u);
        ASSERT_EQ(get(table_, 0, 4), 0xfffffff0u) << "expected a Go 1.18/1.19 build";
    }

    /// Same answers as the untouched table for entries, names and lines.
    void expect_same(const GoSymbols& a, const GoSymbols& b) {
        EXPECT_EQ(a.function_count(), b.function_count());
        for (const char* name : {"main.someFunc", "main.leakRecv.func1", "runtime.allgadd", "runtime.exit"}) {
            SCOPED_TRACE(name);
            auto ea = a.entry_of(name), eb = b.entry_of(name);
            ASSERT_TRUE(ea && eb);
            EXPECT_EQ(*ea, *eb);
            for (uint64_t d : {0, 1, 4, 8}) {
                auto fa = a.lookup(*ea + d), fb = b.lookup(*ea + d);
                ASSERT_TRUE(fa && fb);
                EXPECT_EQ(fa->name, fb->name);
                EXPECT_EQ(fa->entry, fb->entry);
                EXPECT_EQ(fa->file, fb->file);
                EXPECT_EQ(fa->line, fb->line);
            }
        }
        EXPECT_EQ(a.entry_of("main.someFunc"), nm_["main.someFunc"].addr);
    }

    static inline std::string build_error_;
    static inline std::vector<uint8_t> table_;
    static inline std::map<std::string, go_fixture::NmSymbol> nm_;
};

TEST_F(GoPclntabFormats, Go116LayoutReadsLikeTheOriginal) {
    std::string why;
    auto orig = GoSymbols::from_bytes(table_, &why);
    ASSERT_TRUE(orig) << why;
    EXPECT_EQ(orig->format(), "1.18");
    auto old = GoSymbols::from_bytes(to_go116(table_), &why);
    ASSERT_TRUE(old) << why;
    EXPECT_EQ(old->format(), "1.16");
    expect_same(*orig, *old);
}

TEST_F(GoPclntabFormats, Go120MagicReadsLikeTheOriginal) {
    std::vector<uint8_t> t = table_;
    put(&t, 0, 0xfffffff1, 4);
    std::string why;
    auto orig = GoSymbols::from_bytes(table_, &why);
    auto v120 = GoSymbols::from_bytes(t, &why);
    ASSERT_TRUE(orig && v120) << why;
    EXPECT_EQ(v120->format(), "1.20");
    expect_same(*orig, *v120);
}

TEST_F(GoPclntabFormats, RefusesOldAndMalformedTables) {
    std::string why;
    std::vector<uint8_t> t = table_;
    put(&t, 0, 0xfffffffb, 4);
    EXPECT_FALSE(GoSymbols::from_bytes(t, &why));
    EXPECT_NE(why.find("older than Go 1.17"), std::string::npos) << why;
    t = table_;
    put(&t, 64, t.size() + 100, 8);  // pclnOffset past the end
    EXPECT_FALSE(GoSymbols::from_bytes(t, &why));
    EXPECT_NE(why.find("out of range"), std::string::npos) << why;
    t.assign(table_.begin(), table_.begin() + 200);  // truncated function table
    EXPECT_FALSE(GoSymbols::from_bytes(t, &why));
    EXPECT_FALSE(GoSymbols::from_bytes({}, &why));
}

// ---- inlined frames ----

using threadleak::GoFunc;

std::string inline_src() {
    return std::filesystem::canonical(go_fixture::build_dir().parent_path() / "tests/unit/golang/testdata/inline.go")
        .string();
}

/// What the fixture prints when run with "frames": Go's frames from leaf's caller
/// outwards, and the return address into main.outer as an offset from its entry.
struct GoView {
    uint64_t retoff = 0;
    std::vector<GoFunc> frames;  // main.leaf first
};

GoView run_frames(const std::string& bin) {
    GoView v;
    std::istringstream in(go_fixture::run("'" + bin + "' frames"));
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("retoff ", 0) == 0) v.retoff = std::stoull(line.substr(7), nullptr, 16);
        if (line.rfind("frame ", 0) != 0) continue;
        std::string rest = line.substr(6);
        size_t a = rest.find('|'), b = rest.rfind('|');
        if (a == std::string::npos || a == b) continue;
        GoFunc f;
        f.name = rest.substr(0, a);
        f.file = rest.substr(a + 1, b - a - 1);
        f.line = std::stoi(rest.substr(b + 1));
        v.frames.push_back(f);
    }
    return v;
}

/// pc and innermost line of the first CALL to `callee` in `func`, by go tool objdump.
std::pair<uint64_t, int> objdump_call(const std::string& bin, const std::string& func, const std::string& callee) {
    // "  mutex.go:90		0x482b40		e8db4dfeff		CALL sync.(*Mutex).lockSlow(SB)"
    std::istringstream dump(go_fixture::run("go tool objdump -s '^" + func + "$' '" + bin + "'"));
    std::string line;
    while (std::getline(dump, line)) {
        if (line.find("CALL " + callee + "(SB)") == std::string::npos) continue;
        std::istringstream f(line);
        std::string where, pc;
        f >> where >> pc;
        return {std::stoull(pc, nullptr, 16), std::stoi(where.substr(where.find(':') + 1))};
    }
    return {0, 0};
}

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

void expect_frame(const GoFunc& f, const std::string& name, const std::string& file, int line, bool inlined,
                  uint64_t entry) {
    EXPECT_EQ(f.name, name);
    EXPECT_EQ(f.file, file);
    EXPECT_EQ(f.line, line);
    EXPECT_EQ(f.inlined, inlined);
    EXPECT_EQ(f.entry, entry);
}

class GoInlined : public testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!go_fixture::have_go()) return;
        const std::string src = "'" + inline_src() + "'";
        build_errors_ += go_fixture::go_build("inline_plain", "", src);
        build_errors_ += go_fixture::go_build("inline_stripped", "-ldflags='-s -w'", src);
        build_errors_ += go_fixture::go_build("inline_pie", "-buildmode=pie", src);
        build_errors_ += go_fixture::go_build("inline_stripped_pie", "-buildmode=pie -ldflags='-s -w'", src);
        if (!go_fixture::drop_section_headers(bin("stripped"), bin("noshdr"))) build_errors_ += "noshdr: copy failed\n";
        std::filesystem::permissions(bin("noshdr"), std::filesystem::perms::owner_exec,
                                     std::filesystem::perm_options::add);  // the test runs it
    }
    void SetUp() override {
        if (!go_fixture::have_go()) GTEST_SKIP() << "no go toolchain";
        ASSERT_EQ(build_errors_, "");
    }
    static std::string bin(const std::string& variant) { return go_fixture::fixture("inline_" + variant); }
    static std::unique_ptr<GoSymbols> open(const std::string& variant) {
        std::string why;
        auto s = GoSymbols::open(bin(variant), &why);
        EXPECT_TRUE(s) << why;
        return s;
    }
    /// The unstripped build with the same code (objdump needs its symbols).
    static std::string twin(const std::string& variant) {
        return variant.find("pie") != std::string::npos ? "pie" : "plain";
    }
    static inline std::string build_errors_;
    static constexpr const char* kVariants[] = {"plain", "stripped", "pie", "stripped_pie", "noshdr"};
};

TEST_F(GoInlined, TwoLevelsOfInliningMatchGosTraceback) {
    for (const char* variant : kVariants) {
        SCOPED_TRACE(variant);
        GoView go = run_frames(bin(variant));
        ASSERT_GE(go.frames.size(), 5u);
        ASSERT_EQ(go.frames[0].name, "main.leaf");
        ASSERT_EQ(go.frames[3].name, "main.outer");  // bump, twice inlined between
        EXPECT_EQ(go.frames[1].line, 26);
        EXPECT_EQ(go.frames[2].line, 30);
        EXPECT_EQ(go.frames[3].line, 36);
        auto syms = open(variant);
        ASSERT_TRUE(syms);
        EXPECT_TRUE(syms->has_inline_trees());
        EXPECT_EQ(syms->funcdata_from(), std::string(variant).find("pie") == 0 || std::string(variant) == "plain" ? ".symtab" : "moduledata");
        auto entry = syms->entry_of("main.outer");
        ASSERT_TRUE(entry);
        ASSERT_NE(go.retoff, 0u);
        std::vector<GoFunc> ours = syms->lookup_inlined(*entry + go.retoff - 1);
        ASSERT_EQ(ours.size(), 3u);
        for (size_t i = 0; i < 3; ++i) {
            SCOPED_TRACE(i);
            expect_frame(ours[i], go.frames[i + 1].name, go.frames[i + 1].file, go.frames[i + 1].line, i < 2, *entry);
        }
        // lookup() keeps its answer: the outer function at the innermost line.
        auto flat = syms->lookup(*entry + go.retoff - 1);
        ASSERT_TRUE(flat);
        EXPECT_EQ(flat->name, "main.outer");
        EXPECT_EQ(flat->line, 26);
        EXPECT_FALSE(flat->inlined);
        // The physical frame below: leaf itself, nothing inlined.
        auto leaf = syms->entry_of("main.leaf");
        ASSERT_TRUE(leaf);
        auto one = syms->lookup_inlined(*leaf);
        ASSERT_EQ(one.size(), 1u);
        EXPECT_EQ(one[0].name, "main.leaf");
    }
}

TEST_F(GoInlined, MutexLockInlinedIntoTheCaller) {
    for (const char* variant : kVariants) {
        SCOPED_TRACE(variant);
        // objdump prints no lines for PIE ("  :0"): the line from the plain build.
        const uint64_t pc = objdump_call(bin(twin(variant)), "main.outer", "sync.(*Mutex).lockSlow").first;
        const int line = objdump_call(bin("plain"), "main.outer", "sync.(*Mutex).lockSlow").second;
        ASSERT_NE(pc, 0u);
        ASSERT_GT(line, 0);
        auto syms = open(variant);
        ASSERT_TRUE(syms);
        auto entry = syms->entry_of("main.outer");
        ASSERT_TRUE(entry);
        auto twin_syms = open(twin(variant));
        ASSERT_TRUE(twin_syms);
        ASSERT_EQ(entry, twin_syms->entry_of("main.outer"));  // -s -w keeps the text
        std::vector<GoFunc> frames = syms->lookup_inlined(pc);
        ASSERT_EQ(frames.size(), 2u);
        EXPECT_EQ(frames[0].name, "sync.(*Mutex).Lock");
        EXPECT_TRUE(ends_with(frames[0].file, "/sync/mutex.go")) << frames[0].file;
        EXPECT_EQ(frames[0].line, line);
        EXPECT_TRUE(frames[0].inlined);
        EXPECT_EQ(frames[0].entry, *entry);
        expect_frame(frames[1], "main.outer", inline_src(), 35, false, *entry);
    }
}

TEST_F(GoInlined, NoInliningGivesLookup) {
    for (const char* variant : kVariants) {
        SCOPED_TRACE(variant);
        auto syms = open(variant);
        ASSERT_TRUE(syms);
        // The stack check's call in outer's prologue/epilogue: outer's own line.
        const uint64_t pc = objdump_call(bin(twin(variant)), "main.outer", "runtime.morestack_noctxt.abi0").first;
        const int line = objdump_call(bin("plain"), "main.outer", "runtime.morestack_noctxt.abi0").second;
        ASSERT_NE(pc, 0u);
        EXPECT_EQ(line, 34);  // the func line
        auto entry = syms->entry_of("main.outer");
        ASSERT_TRUE(entry);
        for (uint64_t at : {*entry, pc}) {
            SCOPED_TRACE(at);
            auto flat = syms->lookup(at);
            ASSERT_TRUE(flat);
            std::vector<GoFunc> frames = syms->lookup_inlined(at);
            ASSERT_EQ(frames.size(), 1u);
            expect_frame(frames[0], flat->name, flat->file, flat->line, false, flat->entry);
            EXPECT_EQ(frames[0].name, "main.outer");
        }
        EXPECT_EQ(syms->lookup_inlined(pc)[0].line, line);
        EXPECT_TRUE(syms->lookup_inlined(0x1000).empty());  // before text
    }
}

/// A table from from_bytes has no inline trees until set_funcdata gives them; a
/// Go 1.16 layout (absolute funcdata addresses) reads them like the original.
TEST_F(GoInlined, FromBytesAndGo116Layout) {
    auto img = threadleak::ElfImage::open(bin("plain"), nullptr);
    ASSERT_TRUE(img);
    const threadleak::ElfSection* s = img->section(".gopclntab");
    ASSERT_TRUE(s);
    auto tb = img->section_bytes(*s);
    std::vector<uint8_t> table(tb.begin(), tb.end());
    auto gofunc = img->symbol("go.func.*");
    ASSERT_TRUE(gofunc);
    const threadleak::ElfSegment* seg = img->segment_of(gofunc->value);
    ASSERT_TRUE(seg);
    auto rb = img->bytes_at(seg->vaddr, seg->filesz);
    std::vector<uint8_t> rodata(rb.begin(), rb.end());

    auto file_syms = open("plain");
    ASSERT_TRUE(file_syms);
    GoView go = run_frames(bin("plain"));
    const uint64_t pc = *file_syms->entry_of("main.outer") + go.retoff - 1;
    const std::vector<GoFunc> want = file_syms->lookup_inlined(pc);
    ASSERT_EQ(want.size(), 3u);

    std::string why;
    auto bare = GoSymbols::from_bytes(table, &why);
    ASSERT_TRUE(bare) << why;
    EXPECT_FALSE(bare->has_inline_trees());
    EXPECT_EQ(bare->funcdata_from(), "");
    std::vector<GoFunc> degraded = bare->lookup_inlined(pc);
    ASSERT_EQ(degraded.size(), 1u);
    expect_frame(degraded[0], "main.outer", inline_src(), 26, false, want[0].entry);

    bare->set_funcdata(seg->vaddr, rodata, gofunc->value);
    EXPECT_EQ(bare->funcdata_from(), "set");
    std::vector<GoFunc> expanded = bare->lookup_inlined(pc);
    ASSERT_EQ(expanded.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i)
        expect_frame(expanded[i], want[i].name, want[i].file, want[i].line, want[i].inlined, want[i].entry);

    auto old = GoSymbols::from_bytes(to_go116(table, gofunc->value), &why);
    ASSERT_TRUE(old) << why;
    ASSERT_EQ(old->format(), "1.16");
    EXPECT_EQ(old->lookup_inlined(pc).size(), 1u);  // no bytes at the addresses yet
    old->set_funcdata(seg->vaddr, rodata, 0);
    std::vector<GoFunc> from116 = old->lookup_inlined(pc);
    ASSERT_EQ(from116.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i)
        expect_frame(from116[i], want[i].name, want[i].file, want[i].line, want[i].inlined, want[i].entry);
    auto [lock_pc, lock_line] = objdump_call(bin("plain"), "main.outer", "sync.(*Mutex).lockSlow");
    std::vector<GoFunc> lock = old->lookup_inlined(lock_pc);
    ASSERT_EQ(lock.size(), 2u);
    EXPECT_EQ(lock[0].name, "sync.(*Mutex).Lock");
    EXPECT_EQ(lock[0].line, lock_line);
    EXPECT_EQ(lock[1].line, 35);
}

}  // namespace
