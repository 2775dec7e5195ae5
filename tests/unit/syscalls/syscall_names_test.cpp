// Unit tests for userspace/syscalls/syscall_names.cpp: the x86_64 table.
#include <gtest/gtest.h>

#include "syscalls/syscall_names.h"

namespace threadleak {
namespace {

TEST(SyscallNameTest, KnowsTheWholeX86_64Table) {
    EXPECT_EQ(syscall_name(0), "read");
    EXPECT_EQ(syscall_name(7), "poll");
    EXPECT_EQ(syscall_name(202), "futex");
    EXPECT_EQ(syscall_name(230), "clock_nanosleep");
    EXPECT_EQ(syscall_name(231), "exit_group");
    EXPECT_EQ(syscall_name(334), "rseq");
    EXPECT_EQ(syscall_name(424), "pidfd_send_signal");
    EXPECT_EQ(syscall_name(435), "clone3");
    EXPECT_EQ(syscall_name(449), "futex_waitv");
    EXPECT_EQ(syscall_name(462), "mseal");
}

TEST(SyscallNameTest, UnknownNumbersAreSyscallN) {
    EXPECT_EQ(syscall_name(999), "syscall_999");
    EXPECT_EQ(syscall_name(400), "syscall_400");  // the x86_64 hole 336..423
    EXPECT_EQ(syscall_name(463), "syscall_463");
    EXPECT_EQ(syscall_name(-1), "syscall_-1");
}

}  // namespace
}  // namespace threadleak
