// Typed views of the kernel's ring-buffer records (bpf/events.h), decoded and
// validated. The tracker consumes these; tests build them directly.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "capture/capture_types.h"

namespace threadleak {

/// Executable file mappings of a process's current address space.
struct ModulesEvent {
    uint64_t time_ns = 0;
    int pid = 0;
    std::vector<Mapping> mappings;
};

/// Kernels without the VMA iterator: the process's executable mappings are
/// new or changed, and only /proc/PID/maps can tell them (while it lives).
struct ReadMapsEvent {
    uint64_t time_ns = 0;
    int pid = 0;
};

struct ProcessForkEvent {
    uint64_t time_ns = 0;
    int pid = 0;            ///< the new process
    int parent_pid = 0;
    int creator_tid = 0;
    std::string comm;
    CapturedStack creator_stack;  ///< the creating thread at its fork/clone call
};

struct ExecEvent {
    uint64_t time_ns = 0;
    int pid = 0;
    std::string filename;
    std::string comm;
};

struct ThreadCreateEvent {
    uint64_t time_ns = 0;
    int pid = 0;
    int tid = 0;            ///< the new thread
    int creator_tid = 0;
    std::string creator_comm;
    CapturedStack creator_stack;
};

enum class ExitHow { Self, GroupLeader, Killed };

struct ThreadExitEvent {
    uint64_t time_ns = 0;
    int pid = 0;
    int tid = 0;
    std::string comm;
    ExitHow how = ExitHow::Self;
    std::optional<BlockedFor> blocked_for;  ///< nullopt: not measured
    std::optional<CapturedStack> stack;  ///< set when how == Killed
};

struct ProcessExitEvent {
    uint64_t time_ns = 0;
    int pid = 0;
    int wait_status = 0;    ///< as waitpid() would report it
};

/// --per-test: thread `tid` began (or ended) running one test.
struct TestEvent {
    uint64_t time_ns = 0;
    int pid = 0;
    int tid = 0;
    bool begin = true;
    uint32_t probe_kind = 0;      ///< TL_TEST_PROBE_* (bpf/events.h)
    uint64_t function = 0;        ///< TL_TEST_PROBE_BOOST: the function the framework runs
    /// False when the probed function ran something that is no test (a
    /// fixture's setup): its end then ends nothing.
    bool is_test = true;
    /// The test's name when the probe read it from the framework's object
    /// (GoogleTest: "Suite.Name"); nullopt if not read, or not plausibly a name.
    std::optional<std::string> name;
};

/// A traced thread created a timerfd (its stack where timerfd_create returned).
struct TimerCreateEvent {
    uint64_t time_ns = 0;
    int pid = 0;
    int tid = 0;
    int fd = -1;
    CapturedStack creator_stack;
};

/// At its process's exit, a timerfd it created was still open.
struct TimerOpenEvent {
    uint64_t time_ns = 0;
    int pid = 0;
    int fd = -1;
    uint64_t interval_ns = 0;  ///< 0: one-shot
    bool armed = false;        ///< its timer was set to fire
};

/// A Go program entered runtime.exit: the kernel side stopped it (SIGSTOP)
/// so that its goroutines can be read; it stays stopped until sent SIGCONT.
struct GoExitEvent {
    uint64_t time_ns = 0;
    int pid = 0;
    int tid = 0;
    uint64_t g = 0;            ///< the exiting goroutine's g (not a leak)
    bool stopped = false;      ///< SIGSTOP was sent
};

using TraceEvent = std::variant<ProcessForkEvent, ExecEvent, ThreadCreateEvent,
                                ThreadExitEvent, ProcessExitEvent, ModulesEvent, ReadMapsEvent,
                                TestEvent, TimerCreateEvent, TimerOpenEvent, GoExitEvent>;

/// Decodes one ring-buffer record; nullopt (and `error` set) if malformed.
std::optional<TraceEvent> decode_event(std::span<const uint8_t> record, std::string* error);

}  // namespace threadleak
