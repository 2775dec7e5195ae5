// The module cache: one session per file identity, shared by every image,
// within a memory budget; a file changed in place is another file.
#include "stacks/module_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "process_image_test_support.h"
#include "stacks/process_image.h"

namespace pi_test {
namespace {

using threadleak::ModuleCache;
using threadleak::OwnedFd;
using threadleak::ProcessImage;
using threadleak::Stack;
using threadleak::StackSnapshot;

OwnedFd open_file(const std::string& path) { return OwnedFd(open(path.c_str(), O_RDONLY | O_CLOEXEC)); }

TEST(ModuleCache, SameFileOpenedTwiceIsOneModule) {
    ModuleCache cache;
    auto a = cache.get(open_file(self_exe()), self_exe());
    auto b = cache.get(open_file(self_exe()), self_exe());
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a, b);
    EXPECT_EQ(cache.open_sessions(), 1u);
    EXPECT_GT(cache.estimated_bytes(), 0u);
}

TEST(ModuleCache, ImagesOfManyProcessesShareOneSessionPerFile) {
    ModuleCache cache;
    const auto addr = reinterpret_cast<uint64_t>(&outer_distinctive_fn);
    ProcessImage first(getpid(), "", cache);
    ASSERT_TRUE(first.load_proc_maps());
    const size_t files = cache.open_sessions();
    const size_t bytes_after_first = cache.estimated_bytes();
    ASSERT_GT(files, 1u);  // the test binary, libc, ld.so, ...
    for (int i = 0; i < 20; ++i) {
        ProcessImage again(getpid(), "", cache);
        ASSERT_TRUE(again.load_proc_maps());
        EXPECT_EQ(again.symbolize({addr, false}).function, first.symbolize({addr, false}).function);
    }
    EXPECT_EQ(cache.open_sessions(), files);
    EXPECT_GE(cache.estimated_bytes(), bytes_after_first);
}

TEST(ModuleCache, NonElfFilesAreRefused) {
    ModuleCache cache;
    EXPECT_EQ(cache.get(open_file("/etc/hostname"), "/etc/hostname"), nullptr);
    EXPECT_EQ(cache.get(OwnedFd(), "/nonexistent"), nullptr);
    EXPECT_EQ(cache.open_sessions(), 0u);
}

TEST(ModuleCache, OverBudgetClosesLeastRecentlyUsedSessionsWhichReopenOnUse) {
    ModuleCache cache(1);  // every session is over budget: only the last used stays open
    StackSnapshot snap;
    outer_distinctive_fn(snap);
    ProcessImage image(getpid(), "", cache);
    ASSERT_TRUE(image.load_proc_maps());
    EXPECT_EQ(cache.open_sessions(), 1u);

    // The walk goes through the test binary and libc, closing and reopening
    // sessions on the way; the frames are those of an unbounded cache.
    ModuleCache roomy;
    ProcessImage reference(getpid(), "", roomy);
    ASSERT_TRUE(reference.load_proc_maps());
    const Stack expected = reference.resolve_stack(snap);
    const Stack got = image.resolve_stack(snap);
    ASSERT_EQ(got.size(), expected.size()) << describe(got) << "\nvs\n" << describe(expected);
    for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].function, expected[i].function) << i;
        EXPECT_EQ(got[i].offset, expected[i].offset) << i;
        EXPECT_EQ(got[i].line, expected[i].line) << i;
    }
    EXPECT_GE(find_frame(got, "outer_distinctive_fn"), 0) << describe(got);
    EXPECT_EQ(cache.open_sessions(), 1u);
}

TEST(ModuleCache, FileChangedInPlaceIsANewModule) {
    const std::string path = std::filesystem::temp_directory_path() /
                             ("module-cache-test-" + std::to_string(getpid()));
    std::filesystem::copy_file(self_exe(), path, std::filesystem::copy_options::overwrite_existing);
    ModuleCache cache;
    auto before = cache.get(open_file(path), path);
    ASSERT_NE(before, nullptr);
    EXPECT_EQ(cache.get(open_file(path), path), before);  // unchanged: the same module
    {
        std::ofstream out(path, std::ios::app | std::ios::binary);
        out.put('\0');  // same inode, new size, mtime and ctime
    }
    auto after = cache.get(open_file(path), path);
    ASSERT_NE(after, nullptr);
    EXPECT_NE(after, before);
    EXPECT_NE(after->identity(), before->identity());
    EXPECT_EQ(after->identity().ino, before->identity().ino);
    std::filesystem::remove(path);
}

}  // namespace
}  // namespace pi_test
