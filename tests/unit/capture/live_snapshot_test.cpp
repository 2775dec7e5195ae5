// /proc/PID/task/TID/syscall lines, as the live snapshot reads them
// (userspace/capture/live_snapshot.h).
#include <gtest/gtest.h>

#include "capture/live_snapshot.h"

using namespace threadleak;

TEST(ParseProcSyscall, BlockedThreadGivesArgsSpAndPc) {
    RawSyscall raw;
    uint64_t sp = 0, pc = 0;
    ASSERT_TRUE(parse_proc_syscall("202 0x55d0 0x80 0x0 0x0 0x0 0xffffffff 0x7ffd10 0x7f0012\n", &raw, &sp, &pc));
    EXPECT_EQ(raw.nr, 202);
    EXPECT_EQ(raw.args[0], 0x55d0u);
    EXPECT_EQ(raw.args[1], 0x80u);
    EXPECT_EQ(raw.args[5], 0xffffffffu);
    EXPECT_EQ(sp, 0x7ffd10u);
    EXPECT_EQ(pc, 0x7f0012u);
}

TEST(ParseProcSyscall, UserCodeAndRunning) {
    RawSyscall raw;
    uint64_t sp = 0, pc = 0;
    ASSERT_TRUE(parse_proc_syscall("-1 0x7ffd10 0x401000\n", &raw, &sp, &pc));
    EXPECT_EQ(raw.nr, -1);
    EXPECT_EQ(pc, 0x401000u);
    EXPECT_FALSE(parse_proc_syscall("running\n", &raw, &sp, &pc));
    EXPECT_FALSE(parse_proc_syscall("", &raw, &sp, &pc));
    EXPECT_FALSE(parse_proc_syscall("202 0x1 0x2\n", &raw, &sp, &pc));
}
