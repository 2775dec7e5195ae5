// What a captured thread was doing, decided from its syscall and registers.
#include "analyze/leak_resolver.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>

#include "stacks/process_image.h"

using namespace threadleak;


TEST(LeakStateTest, ThreadThatNeverRanIsStartingAndExecveIsExecing) {
    CapturedStack c;
    c.syscall.nr = 435;  // clone3, with the child's return value
    c.snapshot.regs[0] = 0;
    EXPECT_EQ(state_of(c), ThreadState::Starting);
    c.snapshot.regs[0] = static_cast<uint64_t>(-513);  // the creator, interrupted inside clone3
    EXPECT_EQ(state_of(c), ThreadState::Blocked);
    c.syscall.nr = 59;
    EXPECT_EQ(state_of(c), ThreadState::Execing);
    c.syscall.nr = 202;
    EXPECT_EQ(state_of(c), ThreadState::Blocked);
    c.syscall.nr = -1;
    EXPECT_EQ(state_of(c), ThreadState::Running);
}

TEST(LeakStateTest, Ia32CodeIsItsOwnStateWhateverItsSyscall) {
    CapturedStack c;
    c.syscall.nr = 29;  // ia32 pause; x86_64 29 would be shmget
    c.ia32 = true;
    EXPECT_EQ(state_of(c), ThreadState::Ia32);
}

namespace {

/// A leak of this very process, its stacks pointing at a function of ours.
PendingLeak leak_in_this_process(const std::shared_ptr<ProcessImage>& image, int tid) {
    PendingLeak l;
    l.thread.pid = getpid();
    l.thread.tid = tid;
    PendingStack s;
    s.image = image;
    s.stack.syscall.nr = 202;
    s.stack.snapshot.regs[16] = reinterpret_cast<uint64_t>(&state_of);
    l.at_exit = s;
    l.creation = s;
    return l;
}

}  // namespace

TEST(LeakStateTest, StoppingSymbolizationKeepsEveryLeakAndCountsTheStacksLeftOut) {
    auto image = std::make_shared<ProcessImage>(getpid());
    ASSERT_TRUE(image->load_proc_maps());
    const std::vector<PendingLeak> leaks = {leak_in_this_process(image, 1), leak_in_this_process(image, 2),
                                            leak_in_this_process(image, 3)};
    EXPECT_EQ(stack_count(leaks), 6u);
    int asked = 0;
    uint64_t left_out = 0;
    // Stop once the first leak is resolved.
    const auto resolved = resolve_leaks(leaks, [&] { return asked++ >= 1; }, &left_out);
    ASSERT_EQ(resolved.size(), 3u);
    ASSERT_TRUE(resolved[0].blocked_in);
    EXPECT_FALSE(resolved[0].blocked_in->frames.empty());
    EXPECT_FALSE(resolved[0].created_by.empty());
    for (size_t i = 1; i < 3; ++i) {
        EXPECT_EQ(resolved[i].thread.tid, static_cast<int>(i + 1));
        ASSERT_TRUE(resolved[i].blocked_in) << "the syscall is still decoded";
        EXPECT_EQ(resolved[i].blocked_in->syscall, "futex");
        EXPECT_TRUE(resolved[i].blocked_in->frames.empty());
        EXPECT_TRUE(resolved[i].created_by.empty());
    }
    EXPECT_EQ(left_out, 4u);
}
