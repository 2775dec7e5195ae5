// The signature table. Parameter names follow the kernel's; each row's types
// follow the C prototype (pointers Addr, flag words Flags).
#include "syscalls/syscall_signatures.h"

#include <unordered_map>

namespace threadleak {
namespace {

using enum Param;

constexpr Signature kSignatures[] = {
    {"read", {{"fd", Fd}, {"buf", Addr}, {"count", Long}}},
    {"write", {{"fd", Fd}, {"buf", Addr}, {"count", Long}}},
    {"readv", {{"fd", Fd}, {"iov", Addr}, {"iovcnt", Int}}},
    {"writev", {{"fd", Fd}, {"iov", Addr}, {"iovcnt", Int}}},
    {"pread64", {{"fd", Fd}, {"buf", Addr}, {"count", Long}, {"offset", Long}}},
    {"pwrite64", {{"fd", Fd}, {"buf", Addr}, {"count", Long}, {"offset", Long}}},
    {"preadv", {{"fd", Fd}, {"iov", Addr}, {"iovcnt", Int}, {"offset", Long}}},
    {"pwritev", {{"fd", Fd}, {"iov", Addr}, {"iovcnt", Int}, {"offset", Long}}},
    {"recvfrom", {{"fd", Fd}, {"buf", Addr}, {"len", Long}, {"flags", Flags}, {"src_addr", Addr},
                  {"addrlen", Addr}}},
    {"recvmsg", {{"fd", Fd}, {"msg", Addr}, {"flags", Flags}}},
    {"recvmmsg", {{"fd", Fd}, {"msgvec", Addr}, {"vlen", UInt}, {"flags", Flags},
                  {"timeout", RelTs}}},
    {"sendto", {{"fd", Fd}, {"buf", Addr}, {"len", Long}, {"flags", Flags}, {"dest_addr", Addr},
                {"addrlen", Int}}},
    {"sendmsg", {{"fd", Fd}, {"msg", Addr}, {"flags", Flags}}},
    {"sendmmsg", {{"fd", Fd}, {"msgvec", Addr}, {"vlen", UInt}, {"flags", Flags}}},
    {"accept", {{"fd", Fd}, {"addr", Addr}, {"addrlen", Addr}}},
    {"accept4", {{"fd", Fd}, {"addr", Addr}, {"addrlen", Addr}, {"flags", Flags}}},
    {"connect", {{"fd", Fd}, {"addr", Addr}, {"addrlen", Int}}},
    {"poll", {{"fds", Addr}, {"nfds", Long}, {"timeout_ms", TimeoutMs}}},
    {"ppoll", {{"fds", Addr}, {"nfds", Long}, {"timeout", RelTs}, {"sigmask", Addr}}},
    {"select", {{"nfds", Int}, {"readfds", Addr}, {"writefds", Addr}, {"exceptfds", Addr},
                {"timeout", RelTv}}},
    {"pselect6", {{"nfds", Int}, {"readfds", Addr}, {"writefds", Addr}, {"exceptfds", Addr},
                  {"timeout", RelTs}, {"sigmask", Addr}}},
    {"epoll_wait", {{"fd", Fd}, {"events", Addr}, {"maxevents", Int}, {"timeout_ms", TimeoutMs}}},
    {"epoll_pwait", {{"fd", Fd}, {"events", Addr}, {"maxevents", Int}, {"timeout_ms", TimeoutMs},
                     {"sigmask", Addr}}},
    {"epoll_pwait2", {{"fd", Fd}, {"events", Addr}, {"maxevents", Int}, {"timeout", RelTs},
                      {"sigmask", Addr}}},
    {"nanosleep", {{"timeout", RelTs}}},
    {"wait4", {{"pid", Int}, {"wstatus", Addr}, {"options", Flags}, {"rusage", Addr}}},
    {"waitid", {{"idtype", Int}, {"id", Int}, {"infop", Addr}, {"options", Flags}}},
    {"pause", {}},
    {"sched_yield", {}},
    {"rt_sigsuspend", {{"mask", Addr}, {"sigsetsize", Long}}},
    {"rt_sigtimedwait", {{"set", Addr}, {"info", Addr}, {"timeout", RelTs}, {"sigsetsize", Long}}},
    {"msgrcv", {{"msqid", Int}, {"msgp", Addr}, {"msgsz", Long}, {"msgtyp", Long},
                {"msgflg", Flags}}},
    {"msgsnd", {{"msqid", Int}, {"msgp", Addr}, {"msgsz", Long}, {"msgflg", Flags}}},
    {"semop", {{"semid", Int}, {"sops", Addr}, {"nsops", Long}}},
    {"semtimedop", {{"semid", Int}, {"sops", Addr}, {"nsops", Long}, {"timeout", RelTs}}},
    {"io_getevents", {{"ctx_id", Addr}, {"min_nr", Long}, {"nr", Long}, {"events", Addr},
                      {"timeout", RelTs}}},
    {"io_pgetevents", {{"ctx_id", Addr}, {"min_nr", Long}, {"nr", Long}, {"events", Addr},
                       {"timeout", RelTs}, {"usig", Addr}}},
    {"io_uring_enter", {{"fd", Fd}, {"to_submit", UInt}, {"min_complete", UInt}, {"flags", Flags},
                        {"argp", Addr}, {"argsz", Long}}},
    {"mq_timedreceive", {{"fd", Fd}, {"msg_ptr", Addr}, {"msg_len", Long}, {"msg_prio", Addr},
                         {"abs_timeout", AbsRealTs}}},
    {"mq_timedsend", {{"fd", Fd}, {"msg_ptr", Addr}, {"msg_len", Long}, {"msg_prio", UInt},
                      {"abs_timeout", AbsRealTs}}},
    {"flock", {{"fd", Fd}, {"operation", FlockOp}}},
    {"fcntl", {{"fd", Fd}, {"cmd", FcntlCmd}, {"arg", Addr}}},
    {"ioctl", {{"fd", Fd}, {"request", Flags}, {"arg", Addr}}},
    {"fsync", {{"fd", Fd}}},
    {"fdatasync", {{"fd", Fd}}},
    {"syncfs", {{"fd", Fd}}},
    {"close", {{"fd", Fd}}},
    {"sendfile", {{"out_fd", Fd}, {"in_fd", Int}, {"offset", Addr}, {"count", Long}}},
    {"splice", {{"fd_in", Fd}, {"off_in", Addr}, {"fd_out", Int}, {"off_out", Addr}, {"len", Long},
                {"flags", Flags}}},
    {"tee", {{"fd_in", Fd}, {"fd_out", Int}, {"len", Long}, {"flags", Flags}}},
    {"open", {{"pathname", Addr}, {"flags", Flags}, {"mode", Mode}}},
    {"openat", {{"dirfd", Int}, {"pathname", Addr}, {"flags", Flags}, {"mode", Mode}}},
    {"exit", {{"status", Int}}},
    {"exit_group", {{"status", Int}}},
    {"clone", {{"flags", Flags}, {"stack", Addr}, {"parent_tid", Addr}, {"child_tid", Addr},
               {"tls", Addr}}},
    {"clone3", {{"cl_args", Addr}, {"size", Long}}},
    {"getrandom", {{"buf", Addr}, {"buflen", Long}, {"flags", Flags}}},
};

}  // namespace

const Signature* find_signature(std::string_view name) {
    static const std::unordered_map<std::string_view, const Signature*> index = [] {
        std::unordered_map<std::string_view, const Signature*> m;
        for (const auto& s : kSignatures) m.emplace(s.syscall, &s);
        return m;
    }();
    auto it = index.find(name);
    return it == index.end() ? nullptr : it->second;
}

}  // namespace threadleak
