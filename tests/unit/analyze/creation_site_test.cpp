// Creation sites (analyze/creation_site.h): which frames of a creation stack
// are the threading machinery, where the site ends, and how it is named and
// keyed. Stacks are written as the symbolizer returns them (innermost first,
// demangled, '@' versions stripped) for glibc, libstdc++, static and Rust programs.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "analyze/creation_site.h"

namespace threadleak {
namespace {

constexpr const char* kLibc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
constexpr const char* kLibstdcxx = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30";
constexpr const char* kExe = "/srv/app/server";

Frame frame(const std::string& module, uint64_t offset, std::optional<std::string> function,
            std::optional<std::string> file = std::nullopt, std::optional<int> line = std::nullopt) {
    Frame f;
    f.address = 0x7f0000000000 + offset;
    f.module = module;
    f.offset = offset;
    f.function = std::move(function);
    f.file = std::move(file);
    f.line = line;
    return f;
}

/// The first `n` frames of `stack`.
Stack prefix(const Stack& stack, size_t n) { return Stack(stack.begin(), stack.begin() + n); }

TEST(CreationSite, GlibcPthreadCreateEndsAtTheCaller) {
    const Stack s = {
        frame(kLibc, 0x1269d0, "__clone3"),
        frame(kLibc, 0x94d40, "create_thread"),
        frame(kLibc, 0x95a60, "pthread_create"),
        frame(kExe, 0x1234, "start_session_reader", "/build/app/src/server.c", 42),
        frame(kExe, 0x1400, "main", "/build/app/src/server.c", 90),
    };
    EXPECT_TRUE(is_threading_frame(s[0]));
    EXPECT_TRUE(is_threading_frame(s[2]));
    EXPECT_FALSE(is_threading_frame(s[3]));
    ASSERT_EQ(site_frame_count(s), 4u);
    EXPECT_EQ(site_label(prefix(s, 4)), "start_session_reader (server.c:42)");
}

TEST(CreationSite, StdThreadSkipsLibstdcxxAndTheHeaderConstructor) {
    const Stack s = {
        frame(kLibc, 0x1269d0, "__clone3"),
        frame(kLibc, 0x95a60, "pthread_create"),
        frame(kLibstdcxx, 0xdc3a9, "std::thread::_M_start_thread(std::unique_ptr<std::thread::_State, "
                                   "std::default_delete<std::thread::_State> >, void (*)())"),
        // The constructor template is instantiated in the program, from <thread>.
        frame(kExe, 0x2210, "std::thread::thread<void (&)(int), int&, void>(void (&)(int), int&)",
              "/usr/include/c++/12/bits/std_thread.h", 164),
        frame(kExe, 0x2250, "Pool::start_workers(int)", "/build/app/src/pool.cpp", 17),
        frame(kExe, 0x1400, "main"),
    };
    EXPECT_TRUE(is_threading_frame(s[2]));
    EXPECT_TRUE(is_threading_frame(s[3]));
    ASSERT_EQ(site_frame_count(s), 5u);
    EXPECT_EQ(site_label(prefix(s, 5)), "Pool::start_workers(int) (pool.cpp:17)");
}

TEST(CreationSite, StaticBinaryIsKnownByItsFunctionNames) {
    // Everything is in the executable: no module says "libc".
    const Stack s = {
        frame(kExe, 0x4a100, "clone3"),
        frame(kExe, 0x4a000, "create_thread"),
        frame(kExe, 0x49f00, "pthread_create"),
        frame(kExe, 0x1234, "spawn_worker", "/build/app/worker.c", 12),
        frame(kExe, 0x1300, "main"),
    };
    EXPECT_FALSE(is_threading_frame(frame(kExe, 0x1300, "main")));
    ASSERT_EQ(site_frame_count(s), 4u);
    EXPECT_EQ(site_label(prefix(s, 4)), "spawn_worker (worker.c:12)");
    // glibc's internal names, and a compiler's clone of one.
    for (const char* fn : {"__clone", "__clone_internal", "__pthread_create_2_1", "clone", "start_thread",
                           "create_thread.constprop.0", "thrd_create"})
        EXPECT_TRUE(is_threading_frame(frame(kExe, 0x10, fn))) << fn;
}

TEST(CreationSite, ProgramFunctionsThatMerelyStartLikeLibcsAreSites) {
    // Not reserved names: a program's own function that starts threads is the site.
    for (const char* fn : {"start_threads", "create_thread_pool", "clone_worker", "cloned_request",
                           "start_thread_pool(int)", "Server::create_thread()"})
        EXPECT_FALSE(is_threading_frame(frame(kExe, 0x10, fn))) << fn;
    const Stack s = {
        frame(kLibc, 0x1269d0, "__clone3"),
        frame(kLibc, 0x95a60, "pthread_create"),
        frame(kExe, 0x1234, "start_threads", "/build/t/t.c", 8),
        frame(kExe, 0x1300, "main"),
    };
    EXPECT_EQ(site_frame_count(s), 3u);
}

TEST(CreationSite, RustStdThreadSpawnEndsAtTheCrate) {
    const Stack s = {
        frame(kLibc, 0x1269d0, "__clone3"),
        frame(kLibc, 0x95a60, "pthread_create"),
        frame(kExe, 0x51000, "std::sys::pal::unix::thread::Thread::new"),
        frame(kExe, 0x52000, "std::thread::Builder::spawn_unchecked_::<myapp::pool::start::{closure#0}, ()>"),
        frame(kExe, 0x52400, "std::thread::Builder::spawn_unchecked"),
        frame(kExe, 0x52800, "std::thread::Builder::spawn"),
        frame(kExe, 0x52c00, "std::thread::spawn"),
        frame(kExe, 0x8000, "myapp::pool::start", "src/pool.rs", 31),
        frame(kExe, 0x8800, "myapp::main"),
    };
    ASSERT_EQ(site_frame_count(s), 8u);
    EXPECT_EQ(site_label(prefix(s, 8)), "myapp::pool::start (pool.rs:31)");
}

TEST(CreationSite, MuslLibcIsTheThreadingLibrary) {
    // Alpine: libc is the loader; its internal __clone has no exported name.
    EXPECT_TRUE(is_threading_frame(frame("/lib/ld-musl-x86_64.so.1", 0x5c1a0, std::nullopt)));
    EXPECT_TRUE(is_threading_frame(frame("/usr/lib/libc-2.31.so", 0x10, std::nullopt)));
    EXPECT_TRUE(is_threading_frame(frame("/lib/x86_64-linux-gnu/libpthread.so.0", 0x10, std::nullopt)));
    EXPECT_FALSE(is_threading_frame(frame("/usr/lib/libc-client.so.2007e", 0x10, std::nullopt)));
    EXPECT_FALSE(is_threading_frame(frame(kExe, 0x10, std::nullopt)));
}

TEST(CreationSite, StackOfOnlyThreadingFramesIsWholeSite) {
    const Stack s = {
        frame(kLibc, 0x1269d0, "__clone3"),
        frame(kLibc, 0x95a60, "pthread_create"),
    };
    EXPECT_EQ(site_frame_count(s), 2u);
    EXPECT_EQ(site_label(s), "pthread_create");
    EXPECT_EQ(site_frame_count({}), 0u);
    EXPECT_EQ(site_label({}), "[unknown]");
    EXPECT_EQ(site_key({}), "");
}

TEST(CreationSite, FrameWithoutFunctionIsNamedByModuleAndOffset) {
    EXPECT_EQ(site_label({frame(kExe, 0x4a2f0, std::nullopt)}), "server+0x4a2f0");
    EXPECT_EQ(site_label({frame("[unknown]", 0x7f12, std::nullopt)}), "[unknown]+0x7f12");
    // Only the last frame names the site.
    EXPECT_EQ(site_label({frame(kLibc, 0x95a60, "pthread_create"), frame(kExe, 0x10, std::nullopt)}),
              "server+0x10");
}

TEST(CreationSite, LabelShowsTheFilesBasenameOnly) {
    EXPECT_EQ(site_label({frame(kExe, 1, "f", "/very/deep/src/net/server.c", 7)}), "f (server.c:7)");
    EXPECT_EQ(site_label({frame(kExe, 1, "f", "server.c", 7)}), "f (server.c:7)");
    EXPECT_EQ(site_label({frame(kExe, 1, "f", "/src/server.c", std::nullopt)}), "f (server.c)");
    EXPECT_EQ(site_label({frame(kExe, 1, "f")}), "f");
}

TEST(CreationSite, KeyIsModuleAndOffsetNeverAddress) {
    Stack first = {frame(kLibc, 0x95a60, "pthread_create"), frame(kExe, 0x1234, "start_session_reader")};
    Stack second = first;  // another process: other load addresses, maybe no symbols
    second[0].address = 0x7fa1c0095a60;
    second[1].address = 0x55d2e0001234;
    second[1].function.reset();
    EXPECT_EQ(site_key(first), "/usr/lib/x86_64-linux-gnu/libc.so.6+612960;/srv/app/server+4660;");
    EXPECT_EQ(site_key(second), site_key(first));

    Stack elsewhere = first;
    elsewhere[1].offset = 0x1240;  // another call of pthread_create in the same function
    EXPECT_NE(site_key(elsewhere), site_key(first));
    Stack other_module = first;
    other_module[1].module = "/srv/app/worker";
    EXPECT_NE(site_key(other_module), site_key(first));
}

}  // namespace
}  // namespace threadleak
