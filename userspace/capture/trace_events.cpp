#include "capture/trace_events.h"

#include <algorithm>
#include <cstring>

extern "C" {
#include "events.h"
}

namespace threadleak {
namespace {

std::string bounded_string(const char* s, size_t max) { return std::string(s, strnlen(s, max)); }

/// Module paths arrive leaf first, NUL separated ("libc.so.6\0lib\0usr\0").
std::string module_path(const tl_module& m) {
    std::vector<std::string> parts;
    size_t len = std::min<size_t>(m.path_len, sizeof(m.path));
    size_t i = 0;
    while (i < len) {
        size_t n = strnlen(m.path + i, len - i);
        if (n > 0) parts.emplace_back(m.path + i, n);
        i += n + 1;
    }
    std::string path;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) path += "/" + *it;
    return path;
}

CapturedStack decode_stack(const tl_stack_sample& s, size_t stack_bytes) {
    CapturedStack c;
    for (int i = 0; i < TL_NREGS; i++) c.snapshot.regs[i] = s.regs[i];
    c.snapshot.stack.assign(s.stack, s.stack + stack_bytes);
    c.syscall.nr = s.syscall_nr;
    c.ia32 = s.ia32 != 0;
    for (int i = 0; i < 6; i++) c.syscall.args[i] = s.args[i];
    c.syscall.timeout_valid = s.timeout_valid != 0;
    c.syscall.timeout = {static_cast<int64_t>(s.timeout[0]), static_cast<int64_t>(s.timeout[1])};
    c.syscall.fd_mode = s.fd_mode;
    c.syscall.fd_name = bounded_string(s.fd_name, sizeof(s.fd_name));
    WaitObjectFacts& object = c.syscall.object;
    if (s.futex_words_valid) object.futex_words = std::array<uint64_t, 2>{s.futex_words[0], s.futex_words[1]};
    object.fd_ino = s.fd_ino;
    if (s.epoll_state) object.epoll_empty = s.epoll_state == 1;
    if (s.timer_valid) object.timer_interval_ns = s.timer_interval_ns;
    if (s.socket_valid) {
        SocketEnds ends;
        ends.family = s.sock_family;
        ends.type = s.sock_type;
        ends.state = static_cast<uint16_t>(s.sock_state);
        std::copy(std::begin(s.sock_local_addr), std::end(s.sock_local_addr), ends.local.begin());
        std::copy(std::begin(s.sock_remote_addr), std::end(s.sock_remote_addr), ends.remote.begin());
        ends.local_port = s.sock_local_port;
        ends.remote_port = s.sock_remote_port;
        object.socket = ends;
    }
    if (s.wakes_known) {
        object.wakes_sent = s.wakes_sent;
        object.last_waker_tid = static_cast<int>(s.last_waker_tid);
    }
    if (s.pipe_valid) {
        object.pipe_readers = s.pipe_readers;
        object.pipe_writers = s.pipe_writers;
    }
    return c;
}

/// Validates a record that ends with a tl_stack_sample at `offset`.
template <typename T>
const T* stack_record(std::span<const uint8_t> rec, size_t sample_offset, size_t* stack_bytes,
                      std::string* error) {
    size_t fixed = sample_offset + offsetof(tl_stack_sample, stack);
    if (rec.size() < fixed) {
        *error = "truncated stack record";
        return nullptr;
    }
    auto* s = reinterpret_cast<const tl_stack_sample*>(rec.data() + sample_offset);
    if (s->stack_len > TL_MAX_STACK_BYTES || fixed + s->stack_len > rec.size()) {
        *error = "stack length exceeds record";
        return nullptr;
    }
    *stack_bytes = s->stack_len;
    return reinterpret_cast<const T*>(rec.data());
}

/// A name copied from the target's std::string: printable ASCII only (test
/// names are C++ identifiers plus '/' and digits), else nullopt, because
/// the probe may have read an object whose layout is not the one expected.
std::optional<std::string> test_name_part(const char* s, uint32_t len) {
    size_t copied = strnlen(s, TL_TEST_NAME_LEN);
    if (len == 0 || copied == 0 || copied >= TL_TEST_NAME_LEN || copied > len) return std::nullopt;
    if (copied < len && copied != TL_TEST_NAME_LEN - 1) return std::nullopt;  // a NUL inside: not a name
    for (size_t i = 0; i < copied; i++)
        if (s[i] <= ' ' || s[i] > '~') return std::nullopt;
    std::string part(s, copied);
    if (copied < len) part += "...";
    return part;
}

}  // namespace

std::optional<TraceEvent> decode_event(std::span<const uint8_t> rec, std::string* error) {
    std::string scratch;
    if (!error) error = &scratch;
    if (rec.size() < sizeof(tl_header)) {
        *error = "record shorter than its header";
        return std::nullopt;
    }
    // Records are 8-byte aligned in the ring buffer, so the casts below are safe.
    auto* h = reinterpret_cast<const tl_header*>(rec.data());
    std::string comm = bounded_string(h->comm, sizeof(h->comm));
    int pid = static_cast<int>(h->pid), tid = static_cast<int>(h->tid);
    switch (h->kind) {
    case TL_EV_PROCESS_FORK: {
        size_t n = 0;
        auto* e = stack_record<tl_process_fork_event>(rec, offsetof(tl_process_fork_event, s), &n, error);
        if (!e) return std::nullopt;
        return ProcessForkEvent{h->time_ns, pid, static_cast<int>(e->parent_pid), tid, comm,
                                decode_stack(e->s, n)};
    }
    case TL_EV_EXEC: {
        if (rec.size() < sizeof(tl_exec_event)) break;
        auto* e = reinterpret_cast<const tl_exec_event*>(rec.data());
        return ExecEvent{h->time_ns, pid, module_path(e->exe), comm};
    }
    case TL_EV_THREAD_CREATE: {
        size_t n = 0;
        auto* e = stack_record<tl_thread_create_event>(rec, offsetof(tl_thread_create_event, s), &n, error);
        if (!e) return std::nullopt;
        return ThreadCreateEvent{h->time_ns, pid, tid, static_cast<int>(e->creator_tid), comm,
                                 decode_stack(e->s, n)};
    }
    case TL_EV_THREAD_EXIT: {
        if (rec.size() < offsetof(tl_thread_exit_event, s)) break;
        auto* e = reinterpret_cast<const tl_thread_exit_event*>(rec.data());
        ThreadExitEvent out{h->time_ns, pid, tid, comm, ExitHow::Self, std::nullopt, std::nullopt};
        out.how = e->how == TL_EXIT_KILLED         ? ExitHow::Killed
                  : e->how == TL_EXIT_GROUP_LEADER ? ExitHow::GroupLeader
                                                   : ExitHow::Self;
        if (e->blocked_known) out.blocked_for = BlockedFor{e->blocked_for_ns, e->blocked_exact != 0};
        if (e->has_stack) {
            size_t n = 0;
            if (!stack_record<tl_thread_exit_event>(rec, offsetof(tl_thread_exit_event, s), &n, error))
                return std::nullopt;
            out.stack = decode_stack(e->s, n);
            out.stack->syscall.captured_after_interruption = true;
            out.stack->syscall.object.same_sleeps = e->same_sleeps;
            out.stack->syscall.object.same_sleeps_span_ns = e->same_sleeps_span_ns;
        }
        return out;
    }
    case TL_EV_TIMER_CREATE: {
        size_t n = 0;
        auto* e = stack_record<tl_timer_create_event>(rec, offsetof(tl_timer_create_event, s), &n, error);
        if (!e) return std::nullopt;
        return TimerCreateEvent{h->time_ns, pid, tid, e->fd, decode_stack(e->s, n)};
    }
    case TL_EV_TIMER_OPEN_AT_EXIT: {
        if (rec.size() < sizeof(tl_timer_open_event)) break;
        auto* e = reinterpret_cast<const tl_timer_open_event*>(rec.data());
        return TimerOpenEvent{h->time_ns, pid, e->fd, e->interval_ns, e->armed != 0};
    }
    case TL_EV_GO_EXIT: {
        if (rec.size() < sizeof(tl_go_exit_event)) break;
        auto* e = reinterpret_cast<const tl_go_exit_event*>(rec.data());
        return GoExitEvent{h->time_ns, pid, tid, e->g, e->stopped != 0};
    }
    case TL_EV_MODULES: {
        size_t fixed = offsetof(tl_modules_event, modules);
        if (rec.size() < fixed) break;
        auto* e = reinterpret_cast<const tl_modules_event*>(rec.data());
        if (e->n > TL_MODULES_PER_RECORD || fixed + e->n * sizeof(tl_module) > rec.size()) {
            *error = "module count exceeds record";
            return std::nullopt;
        }
        ModulesEvent out{h->time_ns, pid, {}};
        for (uint32_t i = 0; i < e->n; i++) {
            const tl_module& m = e->modules[i];
            out.mappings.push_back({m.start, m.end, m.pgoff, m.ino, m.dev, module_path(m)});
        }
        return out;
    }
    case TL_EV_READ_MAPS: {
        if (rec.size() < sizeof(tl_read_maps_event)) break;
        return ReadMapsEvent{h->time_ns, pid};
    }
    case TL_EV_PROCESS_EXIT: {
        if (rec.size() < sizeof(tl_process_exit_event)) break;
        auto* e = reinterpret_cast<const tl_process_exit_event*>(rec.data());
        return ProcessExitEvent{h->time_ns, pid, static_cast<int>(e->exit_code)};
    }
    case TL_EV_TEST_BEGIN:
    case TL_EV_TEST_END: {
        if (rec.size() < sizeof(tl_test_event)) break;
        auto* e = reinterpret_cast<const tl_test_event*>(rec.data());
        TestEvent out{h->time_ns, pid, tid, h->kind == TL_EV_TEST_BEGIN,
                      static_cast<uint32_t>(e->cookie),
                      e->function, true, std::nullopt};
        if (e->names_read) {
            auto suite = test_name_part(e->suite, e->suite_len);
            auto name = test_name_part(e->name, e->name_len);
            if (suite && name) out.name = *suite + "." + *name;
        }
        return out;
    }
    default:
        *error = "unknown record kind " + std::to_string(h->kind);
        return std::nullopt;
    }
    *error = "truncated record of kind " + std::to_string(h->kind);
    return std::nullopt;
}

}  // namespace threadleak
