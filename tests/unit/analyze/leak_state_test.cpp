// What a captured thread was doing, decided from its syscall and registers.
#include "analyze/leak_resolver.h"

#include <gtest/gtest.h>

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
