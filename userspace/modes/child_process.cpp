#include "modes/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "common/errors.h"

namespace threadleak {

namespace {

/// A script whose "#!" interpreter is missing fails to exec with ENOENT, which
/// would read as the script itself missing: name the interpreter instead.
void check_interpreter(const std::string& script) {
    std::ifstream in(script, std::ios::binary);
    std::string line;
    if (!std::getline(in, line) || !line.starts_with("#!")) return;
    const size_t start = line.find_first_not_of(" \t", 2);
    if (start == std::string::npos) return;
    const std::string interpreter = line.substr(start, line.find_first_of(" \t\r", start) - start);
    if (access(interpreter.c_str(), X_OK) != 0)
        throw UserError(exit_code::kNotFound, "interpreter " + interpreter + " of " + script +
                                                  " not found (fix its #! line)");
}

}  // namespace

std::string resolve_command(const std::string& name) {
    auto check = [](const std::string& path) {
        struct stat st;
        if (stat(path.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) return 0;
        return access(path.c_str(), X_OK) == 0 ? 1 : -1;
    };
    if (name.empty()) throw UserError(exit_code::kUsage, "no command given; usage: threadleak run -- CMD [ARGS...]");
    if (name.find('/') != std::string::npos) {
        struct stat st;
        if (stat(name.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
            throw UserError(exit_code::kNotExecutable, "command is a directory: " + name);
        int r = check(name);
        if (r == 0) throw UserError(exit_code::kNotFound, "command not found: " + name + " (check the path)");
        if (r < 0) throw UserError(exit_code::kNotExecutable, "command not executable: " + name + " (chmod +x it)");
        check_interpreter(name);
        return name;
    }
    const char* env = getenv("PATH");
    std::stringstream dirs(env ? env : "/usr/local/bin:/usr/bin:/bin");
    std::string dir;
    bool seen_unexecutable = false;
    while (std::getline(dirs, dir, ':')) {
        std::string path = (dir.empty() ? "." : dir) + "/" + name;
        int r = check(path);
        if (r > 0) {
            check_interpreter(path);
            return path;
        }
        if (r < 0) seen_unexecutable = true;
    }
    if (seen_unexecutable)
        throw UserError(exit_code::kNotExecutable, "command not executable: " + name + " (chmod +x it)");
    throw UserError(exit_code::kNotFound, "command not found: " + name + " (check the name or your PATH)");
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
    int go[2], err[2];
    if (pipe2(go, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
        throw UserError(exit_code::kInternal, std::string("pipe: ") + strerror(errno));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    const pid_t tracer = getpid();
    pid_ = fork();
    if (pid_ < 0) throw UserError(exit_code::kInternal, std::string("fork: ") + strerror(errno));
    if (pid_ == 0) {
        setpgid(0, 0);
        // The command dies with threadleak, however threadleak ends (SIGKILL
        // included); if threadleak is already gone, do not run at all.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != tracer) _exit(exit_code::kInternal);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) signal(sig, SIG_DFL);
        close(go[1]);
        close(err[0]);
        // Exec only on an explicit go: if threadleak dies first (EOF), the
        // command must not run untraced.
        char c = 0;
        ssize_t got;
        while ((got = read(go[0], &c, 1)) < 0 && errno == EINTR) {
        }
        if (got != 1) _exit(exit_code::kInternal);
        execvp(args[0], args.data());
        int e = errno;
        ssize_t ignored = write(err[1], &e, sizeof(e));
        (void)ignored;
        _exit(e == ENOENT ? exit_code::kNotFound : exit_code::kNotExecutable);
    }
    setpgid(pid_, pid_);  // also from here: whichever runs first wins the race
    // The command leads its own process group (so --timeout and signals reach
    // all it starts); on a terminal that group must be the foreground one, or
    // reading the terminal stops it with SIGTTIN for ever.
    if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp()) {
        signal(SIGTTOU, SIG_IGN);
        if (tcsetpgrp(STDIN_FILENO, pid_) == 0) terminal_given_ = true;
    }
    close(go[0]);
    close(err[1]);
    go_fd_ = go[1];
    error_fd_ = err[0];
}

ChildProcess::~ChildProcess() {
    if (go_fd_ >= 0) close(go_fd_);
    if (error_fd_ >= 0) close(error_fd_);
    if (!exited_ && pid_ > 0) {
        signal_group(SIGKILL);
        wait_exit();
    }
    take_back_terminal();
}

void ChildProcess::take_back_terminal() {
    if (!terminal_given_) return;
    tcsetpgrp(STDIN_FILENO, getpgrp());  // SIGTTOU is ignored since we gave it away
    terminal_given_ = false;
}

void ChildProcess::release() {
    const char go = 'g';
    ssize_t ignored = write(go_fd_, &go, 1);
    (void)ignored;
    close(go_fd_);
    go_fd_ = -1;
    int e = 0;
    ssize_t n;
    while ((n = read(error_fd_, &e, sizeof(e))) < 0 && errno == EINTR) {
    }
    close(error_fd_);
    error_fd_ = -1;
    if (n == sizeof(e)) {
        wait_exit();
        throw UserError(e == ENOENT ? exit_code::kNotFound : exit_code::kNotExecutable,
                        std::string("cannot run the command: ") + strerror(e));
    }
}

bool ChildProcess::poll_exit() {
    if (exited_) return true;
    int r = waitpid(pid_, &status_, WNOHANG);
    // ECHILD: someone else reaped it (e.g. SIGCHLD was ignored); it is gone.
    if (r == pid_ || (r < 0 && errno == ECHILD)) exited_ = true;
    return exited_;
}

void ChildProcess::wait_exit() {
    while (!exited_) {
        int r = waitpid(pid_, &status_, 0);
        if (r == pid_ || (r < 0 && errno != EINTR)) exited_ = true;
    }
}

void ChildProcess::signal_group(int sig) const {
    if (pid_ > 0 && kill(-pid_, sig) != 0) kill(pid_, sig);
}

}  // namespace threadleak
