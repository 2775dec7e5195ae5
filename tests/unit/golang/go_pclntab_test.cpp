// .gopclntab formats the installed toolchain does not write: the Go 1.18 table of
// a real build, rewritten into the Go 1.16/1.17 layout (absolute uintptr entries,
// no textStart) and relabelled as Go 1.20 (same functab; _func grows after the
// fields read), must symbolize exactly like the original.
#include <cstring>
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
/// they are; a new function table and _func records are appended.
std::vector<uint8_t> to_go116(std::vector<uint8_t> t) {
    const uint64_t nfunc = get(t, 8, 8), nfiles = get(t, 16, 8), text = get(t, 24, 8);
    const uint64_t funcname = get(t, 32, 8), cu = get(t, 40, 8), filetab = get(t, 48, 8), pctab = get(t, 56, 8),
                   pcln = get(t, 64, 8);
    const std::vector<uint8_t> old = t;
    t.resize((t.size() + 7) & ~uint64_t{7});
    const uint64_t new_pcln = t.size();
    const uint64_t functab_size = (2 * nfunc + 1) * 8;
    const uint64_t func_size = 8 + 36;  // entry uintptr + nameoff .. nfuncdata as in 1.18
    t.resize(new_pcln + functab_size + nfunc * func_size, 0);
    for (uint64_t i = 0; i <= nfunc; ++i) {
        uint64_t entry = text + get(old, pcln + 8 * i, 4);
        put(&t, new_pcln + 16 * i, entry, 8);
        if (i == nfunc) break;
        uint64_t old_func = pcln + get(old, pcln + 8 * i + 4, 4);
        uint64_t new_func = functab_size + i * func_size;  // relative to the new pcln
        put(&t, new_pcln + 16 * i + 8, new_func, 8);
        put(&t, new_pcln + new_func, entry, 8);
        std::memcpy(t.data() + new_pcln + new_func + 8, old.data() + old_func + 4, 36);
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

}  // namespace
