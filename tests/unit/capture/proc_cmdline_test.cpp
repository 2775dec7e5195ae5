// /proc/PID/cmdline is the target's data: read bounded, split at NULs.
#include "capture/proc_cmdline.h"

#include <gtest/gtest.h>
#include <unistd.h>

using namespace threadleak;

TEST(ProcCmdline, SplitsAtNulsKeepingEmptyWordsButNotTheTrailingNul) {
    using Words = std::vector<std::string>;
    EXPECT_EQ(split_cmdline(std::string("sleep\0" "30\0", 9)), (Words{"sleep", "30"}));
    EXPECT_EQ(split_cmdline(std::string("a\0\0b", 4)), (Words{"a", "", "b"}));
    // A process that rewrote its argv area (setproctitle) may leave no NUL at all.
    EXPECT_EQ(split_cmdline("worker: idle"), (Words{"worker: idle"}));
    EXPECT_TRUE(split_cmdline("").empty());
}

TEST(ProcCmdline, ReadsOwnCommandLineAndSaysWhenItWasCut) {
    const ProcCmdline whole = read_proc_cmdline(getpid());
    ASSERT_FALSE(whole.args.empty());
    EXPECT_FALSE(whole.truncated);
    const ProcCmdline cut = read_proc_cmdline(getpid(), 3);
    EXPECT_TRUE(cut.truncated);
    ASSERT_EQ(cut.args.size(), 1u);
    EXPECT_EQ(cut.args[0], whole.args[0].substr(0, 3));
}

TEST(ProcCmdline, GoneProcessHasNoCommandLine) {
    const ProcCmdline none = read_proc_cmdline(0x3fffffff);
    EXPECT_TRUE(none.args.empty());
    EXPECT_FALSE(none.truncated);
}
