// Unit tests for userspace/syscalls/fd_kind.cpp: file kinds by inode type and
// anonymous inodes by name.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "syscalls/fd_kind.h"

namespace threadleak {
namespace {

FdKind kind(uint32_t mode, const std::string& name) { return classify_fd(3, mode, name).kind; }

TEST(FdKindTest, ByInodeType) {
    EXPECT_EQ(kind(S_IFIFO | 0600, "pipe:"), FdKind::Pipe);
    EXPECT_EQ(kind(S_IFSOCK | 0777, "TCP"), FdKind::Socket);
    EXPECT_EQ(kind(S_IFCHR | 0620, "pts"), FdKind::CharDevice);
    EXPECT_EQ(kind(S_IFREG | 0644, "data.log"), FdKind::File);
    EXPECT_EQ(kind(S_IFDIR | 0755, "tmp"), FdKind::Directory);
    EXPECT_EQ(kind(S_IFBLK | 0660, "sda"), FdKind::BlockDevice);
    EXPECT_EQ(kind(S_IFLNK | 0777, "link"), FdKind::Symlink);
}

TEST(FdKindTest, AnonInodesByName) {
    EXPECT_EQ(kind(0600, "[eventfd]"), FdKind::Eventfd);
    EXPECT_EQ(kind(0600, "[timerfd]"), FdKind::Timerfd);
    EXPECT_EQ(kind(0600, "[eventpoll]"), FdKind::Epoll);
    EXPECT_EQ(kind(0600, "[signalfd]"), FdKind::Signalfd);
    EXPECT_EQ(kind(0600, "[io_uring]"), FdKind::IoUring);
    EXPECT_EQ(kind(0, "inotify"), FdKind::Inotify);
    EXPECT_EQ(kind(0600, "[fanotify]"), FdKind::Fanotify);
    EXPECT_EQ(kind(S_IFREG | 0600, "[pidfd]"), FdKind::Pidfd);  // pidfs, 6.9+
    EXPECT_EQ(kind(0600, "[userfaultfd]"), FdKind::Userfaultfd);
    EXPECT_EQ(kind(0600, "[perf_event]"), FdKind::PerfEvent);
    EXPECT_EQ(kind(0600, "bpf-map"), FdKind::BpfMap);
    EXPECT_EQ(kind(0600, "bpf-prog"), FdKind::BpfProgram);
    EXPECT_EQ(kind(0600, "bpf_link"), FdKind::BpfLink);
}

TEST(FdKindTest, AnUnlistedAnonInodeKeepsItsName) {
    const FdFact f = classify_fd(9, 0600, "[some_new_fd]");
    EXPECT_EQ(f, (FdFact{.number = 9, .kind = FdKind::OtherAnon, .anon_name = "[some_new_fd]"}));
    // A regular file may have a bracketed name: the type bits win.
    EXPECT_EQ(classify_fd(9, S_IFREG | 0644, "[notes]"),
              (FdFact{.number = 9, .kind = FdKind::File, .anon_name = ""}));
}

TEST(FdKindTest, NothingKnownIsUnknown) {
    EXPECT_EQ(classify_fd(-1, 0, ""), (FdFact{.number = -1, .kind = FdKind::Unknown}));
    EXPECT_EQ(kind(0, "x"), FdKind::Unknown);
    EXPECT_EQ(kind(0, "[]"), FdKind::Unknown);
}

}  // namespace
}  // namespace threadleak
