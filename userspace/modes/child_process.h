// Starts the traced command: fork, wait until threadleak traces the child,
// then exec. The child leads its own process group so --timeout and forwarded
// signals reach everything it started.
#pragma once

#include <string>
#include <vector>

namespace threadleak {

/// Resolves argv[0] like execvp would; throws UserError 127 (not found) or
/// 126 (not executable).
std::string resolve_command(const std::string& name);

class ChildProcess {
public:
    /// Forks a child that waits for release() before exec'ing `argv`.
    explicit ChildProcess(const std::vector<std::string>& argv);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    int pid() const { return pid_; }
    /// Lets the child exec (it never does without this); throws UserError if exec failed.
    void release();
    /// Non-blocking wait; true once the child has exited (status then valid).
    bool poll_exit();
    /// Blocking wait.
    void wait_exit();
    int wait_status() const { return status_; }
    /// True once it has been reaped (by poll_exit or wait_exit).
    bool exited() const { return exited_; }
    /// Sends `sig` to the child's whole process group.
    void signal_group(int sig) const;
    /// Makes threadleak's group the terminal's foreground group again.
    void take_back_terminal();

private:
    int pid_ = -1;
    int go_fd_ = -1;    ///< write end: closing it releases the child
    int error_fd_ = -1; ///< read end: exec errno, or EOF on successful exec
    bool exited_ = false;
    bool terminal_given_ = false; ///< the command's group is the terminal's foreground
    int status_ = 0;
};

}  // namespace threadleak
