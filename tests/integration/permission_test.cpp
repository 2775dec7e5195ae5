// threadleak run as an unprivileged user must refuse with the fix in one line,
// exit 77, and never start the command.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace {

std::string repo_root() {
    if (const char* r = getenv("THREADLEAK_ROOT")) return r;
    return std::filesystem::canonical("/proc/self/exe").parent_path().parent_path().string();
}

struct Outcome {
    int exit_code = -1;
    std::string err;
};

/// Runs argv (as uid/gid 65534, nobody, if `as_nobody`), capturing stderr.
Outcome run_capturing_stderr(const std::vector<std::string>& argv, bool as_nobody = false) {
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) return {};
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], 2);
        if (as_nobody && (setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 ||
                          setresuid(65534, 65534, 65534) != 0))
            _exit(200);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(201);
    }
    close(pipefd[1]);
    Outcome o;
    std::array<char, 4096> buf;
    ssize_t n;
    while ((n = read(pipefd[0], buf.data(), buf.size())) > 0) o.err.append(buf.data(), n);
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return o;
}

}  // namespace

TEST(PermissionTest, UnprivilegedUserGetsExit77AndTheFixAndTheCommandNeverRuns) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to switch to an unprivileged user";
    std::string root = repo_root();
    std::string marker = "/tmp/threadleak-permission-marker-" + std::to_string(getpid());
    std::filesystem::remove(marker);
    Outcome o = run_capturing_stderr({root + "/build/threadleak", "run", "--", "/usr/bin/touch", marker},
                                     /*as_nobody=*/true);
    EXPECT_EQ(o.exit_code, 77) << o.err;
    EXPECT_NE(o.err.find("needs root (or CAP_BPF and CAP_PERFMON)"), std::string::npos) << o.err;
    EXPECT_NE(o.err.find("sudo"), std::string::npos) << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << "one line expected: " << o.err;
    EXPECT_FALSE(std::filesystem::exists(marker)) << "the command ran without tracing";
}

// Root in a default container: CAP_SYS_ADMIN and CAP_PERFMON dropped. The
// kernel would refuse the programs with EPERM; say which capability is missing.
TEST(PermissionTest, RootWithoutPerfmonNamesTheMissingCapability) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root, to drop capabilities from it";
    const char* capsh = "/usr/sbin/capsh";
    if (access(capsh, X_OK) != 0) GTEST_SKIP() << "capsh (Debian package libcap2-bin) is not installed";
    const std::string root = repo_root();
    const std::string marker = root + "/build/permission-test-ran-caps";
    std::filesystem::remove(marker);
    const std::string command = root + "/build/threadleak run -- /bin/touch " + marker;
    const Outcome o = run_capturing_stderr({capsh, "--drop=cap_sys_admin,cap_perfmon", "--", "-c", command});
    const std::string& err = o.err;
    EXPECT_EQ(o.exit_code, 77) << err;
    EXPECT_NE(err.find("threadleak runs as root but without CAP_PERFMON"), std::string::npos) << err;
    EXPECT_FALSE(std::filesystem::exists(marker)) << "the command ran without tracing";
    std::filesystem::remove(marker);
}

// Root of a user namespace (a rootless container, `unshare -U -r`) holds every
// capability there, but none counts for loading BPF: say so, exit 77, instead
// of a verifier error.
TEST(PermissionTest, RootInAUserNamespaceIsToldCapabilitiesThereDoNotCount) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    const char* unshare = "/usr/bin/unshare";
    if (access(unshare, X_OK) != 0) GTEST_SKIP() << "unshare (Debian package util-linux) is not installed";
    const std::string root = repo_root();
    const std::string marker = root + "/build/permission-test-ran-userns";
    std::filesystem::remove(marker);
    const Outcome o = run_capturing_stderr(
        {unshare, "--user", "--map-root-user", root + "/build/threadleak", "run", "--", "/bin/touch", marker});
    const std::string& err = o.err;
    EXPECT_EQ(o.exit_code, 77) << err;
    EXPECT_NE(err.find("runs in a user namespace"), std::string::npos) << err;
    EXPECT_EQ(err.find("verifier"), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << "one line expected: " << err;
    EXPECT_FALSE(std::filesystem::exists(marker)) << "the command ran without tracing";
    std::filesystem::remove(marker);
}
