// The folded format against the grammar flamegraph.pl reads
// (`my ($stack, $samples) = /^(.*)\s+?(\d+(?:\.\d*)?)$/`, frames split on
// ';'), held stricter here: a whole count above 0 after one space (inferno
// drops fractions), non-empty frames, no control character, valid UTF-8,
// every stack once. What the lines say: which frames, root first, how many.
#include <gtest/gtest.h>

#include <numeric>
#include <set>
#include <sstream>

#include "flame_test_support.h"
#include "formats/report_format.h"

namespace threadleak {
namespace {

using namespace flame_test;

struct FoldedLine {
    std::vector<std::string> frames;
    uint64_t count = 0;
};

bool valid_utf8(const std::string& s) {
    for (size_t i = 0; i < s.size();) {
        const unsigned char c = s[i];
        const size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (len == 0 || i + len > s.size() || (len == 2 && c < 0xc2)) return false;
        for (size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
        i += len;
    }
    return true;
}

/// The lines of `text`, or a test failure naming the first one that breaks the grammar.
std::vector<FoldedLine> parse_folded(const std::string& text) {
    std::vector<FoldedLine> lines;
    if (text.empty()) return lines;
    EXPECT_EQ(text.back(), '\n') << "the last line is not ended";
    std::set<std::string> stacks;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        SCOPED_TRACE("line: " + line);
        for (unsigned char c : line) EXPECT_FALSE(c < 0x20 || c == 0x7f) << "control byte " << int(c);
        EXPECT_TRUE(valid_utf8(line));
        const size_t space = line.rfind(' ');
        if (space == std::string::npos || space == 0 || space + 1 == line.size()) {
            ADD_FAILURE() << "no `STACK COUNT`";
            continue;
        }
        const std::string stack = line.substr(0, space), count = line.substr(space + 1);
        EXPECT_EQ(count.find_first_not_of("0123456789"), std::string::npos) << "count '" << count << "'";
        FoldedLine parsed;
        parsed.count = std::stoull(count);
        EXPECT_GT(parsed.count, 0u);
        EXPECT_TRUE(stacks.insert(stack).second) << "the stack is on two lines";
        size_t start = 0;
        for (size_t end; (end = stack.find(';', start)) != std::string::npos; start = end + 1)
            parsed.frames.push_back(stack.substr(start, end - start));
        parsed.frames.push_back(stack.substr(start));
        for (const std::string& f : parsed.frames) EXPECT_FALSE(f.empty()) << "an empty frame";
        lines.push_back(std::move(parsed));
    }
    return lines;
}

std::string folded(const Report& r, FormatOptions options = {}) {
    std::ostringstream out;
    make_report_format("folded", options)->write(r, out);
    return out.str();
}

uint64_t total(const std::vector<FoldedLine>& lines) {
    return std::accumulate(lines.begin(), lines.end(), uint64_t{0},
                           [](uint64_t n, const FoldedLine& l) { return n + l.count; });
}

TEST(FoldedFormat, OneSortedLinePerStackRootFirst) {
    Report r;
    r.leaks = {pool_group(3, BlockedFor{2'000'000'000, true}), pool_group(1, BlockedFor{1'500'000, true})};
    r.leaks[1].created_by[2].function = "a_first_pool()";
    EXPECT_EQ(folded(r),
              "main;a_first_pool();pthread_create;__clone3;[thread start];__clone3;start_thread;Pool::run();"
              "__futex_abstimed_wait_common;[syscall futex] 1\n"
              "main;start_pool();pthread_create;__clone3;[thread start];__clone3;start_thread;Pool::run();"
              "__futex_abstimed_wait_common;[syscall futex] 3\n");
    EXPECT_EQ(folded(r, {FlameStack::Creation, FlameWeight::Count}),
              "main;a_first_pool();pthread_create;__clone3 1\nmain;start_pool();pthread_create;__clone3 3\n");
    // Both read the same from the thread's start down: one line.
    EXPECT_EQ(folded(r, {FlameStack::Blocking, FlameWeight::Count}),
              "__clone3;start_thread;Pool::run();__futex_abstimed_wait_common;[syscall futex] 4\n");
    // Milliseconds blocked: 3 x 2s, and 1.5ms rounded.
    EXPECT_EQ(folded(r, {FlameStack::Blocking, FlameWeight::Time}),
              "__clone3;start_thread;Pool::run();__futex_abstimed_wait_common;[syscall futex] 6002\n");
}

TEST(FoldedFormat, StacksThatWeighNothingAreLeftOut) {
    Report r;
    r.leaks = {pool_group(2), pool_group(1, BlockedFor{3'000'000, true})};
    r.leaks[1].created_by[2].function = "timed_pool()";
    const auto lines = parse_folded(folded(r, {FlameStack::Both, FlameWeight::Time}));
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].frames[1], "timed_pool()");
    EXPECT_EQ(lines[0].count, 3u);
    EXPECT_EQ(folded(Report{}), "");
}

TEST(FoldedFormat, HostileNamesCannotSplitALineOrAFrame) {
    const Report r = hostile_report();
    const std::string text = folded(r);
    const auto lines = parse_folded(text);
    ASSERT_EQ(lines.size(), 2u) << text;  // the leak group and the leaked process's thread
    EXPECT_EQ(total(lines), 3u);
    // kHostile as escape_text shows it, with ';' replaced: one frame still.
    const std::string shown = "<script>alert(1)</script>\"'&]]>_\\x0ax\\u202e\\xff\xef\xbf\xbe";
    const FoldedLine& leak = lines[0].count == 2 ? lines[0] : lines[1];
    // The frame without a symbol is its module's base name (after the last
    // '/', here inside "</script>") and offset.
    const std::string module = "script>\"'&]]>_\\x0ax\\u202e\\xff\xef\xbf\xbe+0x20";
    EXPECT_EQ(leak.frames, (std::vector<std::string>{shown + "spawn", "__clone3", "[thread start]", module, shown,
                                                     "[syscall futex]"}))
        << text;
    EXPECT_EQ(text.find("\xe2\x80\xae"), std::string::npos);
    EXPECT_EQ(text.find('\xff'), std::string::npos);
}

TEST(FoldedFormat, TenThousandFramesStayOneLinePerStack) {
    const Report r = many_frames_report(500, 20);
    const auto lines = parse_folded(folded(r));
    EXPECT_EQ(lines.size(), 500u);
    EXPECT_EQ(total(lines), r.leaked_thread_count());
    for (const FoldedLine& l : lines) EXPECT_EQ(l.frames.size(), 1u + 1u + 20u + 1u);  // creation, start, 20, leaf
}

}  // namespace
}  // namespace threadleak
