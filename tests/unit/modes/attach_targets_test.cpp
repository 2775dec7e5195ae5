// attach's targets (modes/attach_targets.h) read from this host's /proc: this
// test process and a thread of it, kthreadd, a pid that does not exist; and
// --comm / --cgroup's matching.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "common/errors.h"
#include "modes/attach_targets.h"

namespace threadleak {
namespace {

std::string first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

std::string self_exe() {
    char buf[4096];
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

/// A pid no process or thread has now (counting down from pid_max).
int unused_pid() {
    int pid = std::stoi(first_line("/proc/sys/kernel/pid_max")) - 1;
    while (pid > 1 && (kill(pid, 0) == 0 || errno != ESRCH)) pid--;
    return pid;
}

/// A second thread of this process, named `name`, alive until destroyed.
class NamedThread {
public:
    explicit NamedThread(const char* name)
        : thread_([this, name] {
              pthread_setname_np(pthread_self(), name);
              tid_.set_value(gettid());
              release_.get_future().wait();
          }),
          tid(tid_.get_future().get()) {}
    ~NamedThread() {
        release_.set_value();
        thread_.join();
    }

private:
    std::promise<int> tid_;
    std::promise<void> release_;
    std::thread thread_;

public:
    const int tid;
};

/// resolve_pids' refusal: exit code and message.
std::pair<int, std::string> refusal(const std::vector<int>& pids) {
    try {
        resolve_pids(pids);
    } catch (const UserError& e) {
        return {e.exit_code(), e.what()};
    }
    return {0, "(accepted)"};
}

TEST(AttachTargets, LooksUpThisProcess) {
    const auto p = look_up_process(getpid());
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->target.pid, getpid());
    EXPECT_EQ(p->tgid, getpid());
    EXPECT_FALSE(p->kernel);
    EXPECT_EQ(p->target.ppid, getppid());
    EXPECT_EQ(p->target.comm, std::string(program_invocation_short_name).substr(0, 15));
    EXPECT_EQ(p->target.exe, self_exe());
}

TEST(AttachTargets, KthreaddIsAKernelThread) {
    if (first_line("/proc/2/comm") != "kthreadd") GTEST_SKIP() << "pid 2 is not kthreadd here (a pid namespace)";
    const auto p = look_up_process(2);
    ASSERT_TRUE(p.has_value());
    EXPECT_TRUE(p->kernel);
    EXPECT_EQ(p->target.comm, "kthreadd");
    EXPECT_EQ(refusal({2}), (std::pair<int, std::string>{exit_code::kNotUserProcess,
                                                         "-p 2 (kthreadd) is a kernel thread: threadleak attaches "
                                                         "to user processes"}));
}

TEST(AttachTargets, AThreadIdStandsForItsProcess) {
    NamedThread t("tl-lookup");
    ASSERT_NE(t.tid, getpid());
    const auto p = look_up_process(t.tid);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->target.pid, t.tid);
    EXPECT_EQ(p->tgid, getpid());
    EXPECT_FALSE(p->kernel);
    EXPECT_EQ(p->target.comm, "tl-lookup");
    // The thread's process is this one: refused as threadleak itself.
    EXPECT_EQ(refusal({t.tid}), (std::pair<int, std::string>{exit_code::kNotUserProcess,
                                                             "-p " + std::to_string(t.tid) +
                                                                 " is threadleak itself; attach to another process"}));
}

TEST(AttachTargets, ExistingThreadsIncludeAStartedOneWithItsStartTime) {
    NamedThread t("tl-existing");
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
    const std::vector<ExistingThread> threads = existing_threads(getpid());
    const auto find = [&](int tid) {
        return std::find_if(threads.begin(), threads.end(), [tid](const ExistingThread& e) { return e.tid == tid; });
    };
    ASSERT_NE(find(getpid()), threads.end());
    const auto started = find(t.tid);
    ASSERT_NE(started, threads.end());
    ASSERT_TRUE(started->start_unix_ns.has_value());
    EXPECT_LT(std::abs(*started->start_unix_ns - now_ns), int64_t{60'000'000'000})
        << *started->start_unix_ns << " vs now " << now_ns;
    EXPECT_TRUE(existing_threads(unused_pid()).empty());
}

TEST(AttachTargets, NoSuchPidIsExit67InOneLine) {
    const int pid = unused_pid();
    EXPECT_FALSE(look_up_process(pid).has_value());
    const auto [code, message] = refusal({pid});
    EXPECT_EQ(code, exit_code::kNoSuchProcess);
    EXPECT_EQ(message, "-p " + std::to_string(pid) + ": no such process; check the pid (ps -e)");
    EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(AttachTargets, OwnPidIsExit65) {
    EXPECT_EQ(refusal({getpid()}), (std::pair<int, std::string>{exit_code::kNotUserProcess,
                                                                "-p " + std::to_string(getpid()) +
                                                                    " is threadleak itself; attach to another process"}));
}

TEST(AttachTargets, ResolvesTheParentOnceWhenNamedTwice) {
    const std::vector<AttachTarget> targets = resolve_pids({getppid(), getppid()});
    ASSERT_EQ(targets.size(), 1u);
    EXPECT_EQ(targets[0].pid, getppid());
}

TEST(AttachTargets, AllProcessesAreUserProcessesButThisOne) {
    NamedThread t("tl-all");
    const std::vector<AttachTarget> all = all_processes();
    const auto has = [&](int pid) {
        return std::any_of(all.begin(), all.end(), [pid](const AttachTarget& a) { return a.pid == pid; });
    };
    EXPECT_TRUE(has(getppid()));
    EXPECT_FALSE(has(getpid()));
    EXPECT_FALSE(has(t.tid));  // threads are not processes
    if (first_line("/proc/2/comm") == "kthreadd") {
        EXPECT_FALSE(has(2));
    }
}

TEST(ProcessFilter, CommGlob) {
    ProcessFilter none(std::nullopt, std::nullopt);
    EXPECT_FALSE(none.active());
    EXPECT_TRUE(none.matches(getpid(), "anything"));
    ProcessFilter java(std::string("java*"), std::nullopt);
    EXPECT_TRUE(java.active());
    EXPECT_TRUE(java.matches(getpid(), "java"));
    EXPECT_TRUE(java.matches(getpid(), "javac"));
    EXPECT_FALSE(java.matches(getpid(), "unit_tests"));
    EXPECT_FALSE(java.matches(getpid(), "my-java"));
    ProcessFilter either(std::string("[ab]?d"), std::nullopt);
    EXPECT_TRUE(either.matches(getpid(), "bid"));
    EXPECT_FALSE(either.matches(getpid(), "cid"));
}

TEST(ProcessFilter, CgroupPathIsNormalized) {
    EXPECT_EQ(cgroup_filter_path("/sys/fs/cgroup/a/b/"), "/a/b");
    EXPECT_EQ(cgroup_filter_path("/sys/fs/cgroup/a/b"), "/a/b");
    EXPECT_EQ(cgroup_filter_path("a/b"), "/a/b");
    EXPECT_EQ(cgroup_filter_path("a/b//"), "/a/b");
    EXPECT_EQ(cgroup_filter_path("/a/b"), "/a/b");
    EXPECT_EQ(cgroup_filter_path("/"), "/");
    EXPECT_EQ(cgroup_filter_path("/sys/fs/cgroup"), "/");
    EXPECT_EQ(cgroup_filter_path("/sys/fs/cgroup/"), "/");
    // Only the whole mount point is dropped.
    EXPECT_EQ(cgroup_filter_path("/sys/fs/cgroupx/a"), "/sys/fs/cgroupx/a");
}

TEST(ProcessFilter, CgroupMatchesItselfAndBelow) {
    EXPECT_TRUE(cgroup_within("/a/b", "/a/b"));
    EXPECT_TRUE(cgroup_within("/a/b/c", "/a/b"));
    EXPECT_FALSE(cgroup_within("/a/bc", "/a/b"));
    EXPECT_FALSE(cgroup_within("/a", "/a/b"));
    EXPECT_TRUE(cgroup_within("/a/bc", "/"));
    EXPECT_TRUE(cgroup_within("/", "/"));
    EXPECT_FALSE(cgroup_within("", "/"));  // no cgroup v2 line (a v1-only host)
}

TEST(ProcessFilter, CgroupOfThisProcessFromProc) {
    std::string own;
    std::ifstream in("/proc/self/cgroup");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("0::", 0) == 0) own = line.substr(3);
    if (own.empty()) GTEST_SKIP() << "no cgroup v2 hierarchy";
    EXPECT_TRUE(ProcessFilter(std::nullopt, "/sys/fs/cgroup" + own).matches(getpid(), "x"));
    EXPECT_TRUE(ProcessFilter(std::nullopt, std::string("/")).matches(getpid(), "x"));
    EXPECT_FALSE(ProcessFilter(std::nullopt, own + "x").matches(getpid(), "x"));
    EXPECT_FALSE(ProcessFilter(std::string("java*"), own).matches(getpid(), "unit_tests"));  // both must match
    EXPECT_FALSE(ProcessFilter(std::nullopt, std::string("/")).matches(unused_pid(), "x"));
}

}  // namespace
}  // namespace threadleak
