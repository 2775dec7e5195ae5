// Each rule names a runtime by what a target cannot fake easily: the module
// that created the thread (libjvm.so, libgomp.so, beam.smp, libruby) or the
// runtime's own functions; names only where nothing else tells (Node.js).
// Every rule was checked against what `threadleak run` reports for a clean
// program of its runtime (tests/integration/runtime_defaults_test.cpp), and
// `threadleak run --no-default-suppressions` shows the threads anyway.
#include "analyze/default_suppressions.h"

#include <stdexcept>

namespace threadleak {
namespace {

struct DefaultRule {
    const char* text;  ///< the rule in the suppressions-file syntax
    const char* why;
};

constexpr DefaultRule kDefaults[] = {
    // JVM (HotSpot): GC workers, G1 concurrent/refine/service threads, C1/C2
    // compilers, the sweeper, VM Thread, Service Thread, Monitor Deflation,
    // Signal Dispatcher, Notification Thread. HotSpot creates them from its own
    // C++ code (os::create_thread called from VM code). A thread started from
    // Java code, the application's included, goes through JVM_StartThread
    // (java.lang.Thread.start0), so those stay reportable.
    {"ignore-created-by libjvm.so unless-created-by JVM_StartThread",
     "JVM: HotSpot's own threads (GC, compiler, VM and service threads) live until the JVM exits"},
    // The JDK's Java-level daemons are started with Thread.start like an
    // application's, so they are told apart by what they wait in or, failing
    // that, their name. JVM_WaitForReferencePendingList is only called by
    // java.lang.ref.Reference's handler thread.
    {"ignore-created-by JVM_StartThread ignore JVM_WaitForReferencePendingList",
     "JVM: the Reference Handler waits for the GC's pending references until exit"},
    {"ignore-created-by JVM_StartThread ignore-comm Finalizer ignore JVM_MonitorWait",
     "JVM: the Finalizer daemon waits for finalizable objects until exit"},
    {"ignore-created-by JVM_StartThread ignore-comm Common-Cleaner",
     "JVM: jdk.internal.ref.CleanerFactory's daemon runs Cleaner actions until exit"},
    // Go: every M (OS thread) is created by runtime.newm, through newosproc
    // (clone) or, with cgo, _cgo_thread_start: idle Ms parked in runtime.futex,
    // sysmon, the template thread. Go code never owns an OS thread to join.
    {"ignore-created-by runtime.newm",
     "Go: the runtime's Ms (idle workers parked in runtime.futex, sysmon) are never joined by design"},
    // attach: Ms that existed before attach have no creation stack; they sit
    // in the runtime's own wrappers (runtime.futex in stopm, runtime.epollwait
    // in the netpoller, runtime.usleep in sysmon). Go code blocks goroutines,
    // not threads, and reaches syscalls through the syscall package, so a
    // thread whose top frame is in runtime.* is the runtime's. (Dots cannot be
    // in a C or C++ function's name.)
    {"ignore-top runtime.*",
     "Go: the runtime's Ms parked in its scheduler, netpoller or sysmon (seen before attach too) are never joined"},
    // `threadleak run -- go test ./...` traces the go command and the compiler,
    // linker and vet it runs: their own goroutines (cmd/go's signal handler)
    // live until they exit. Packages under cmd/ are the Go distribution's only.
    {"ignore-created-by cmd/*",
     "Go toolchain: the go command's and its tools' own goroutines (cmd/...) live until they exit"},
    // With cgo the runtime starts its Ms through _cgo_sys_thread_start
    // (runtime/cgo), called on the system stack where unwinding may not reach
    // runtime.newm. A C thread that cgo code starts itself stays reportable.
    {"ignore-created-by _cgo_sys_thread_start",
     "Go (cgo): the runtime's Ms started through runtime/cgo are never joined by design"},
    // OpenMP: libgomp keeps its thread pool for the next parallel region and
    // never joins it (gomp_thread_start, created from gomp_team_start).
    {"ignore-created-by libgomp.so*",
     "OpenMP: libgomp keeps its worker pool alive for reuse until exit"},
    // Erlang/BEAM: schedulers, dirty CPU/IO schedulers, aux, poller, signal and
    // message dispatchers are created by ethr_thr_create in beam.smp. A NIF's
    // or driver's own thread (enif_thread_create -> erl_drv_thread_create)
    // stays reportable.
    {"ignore-created-by ethr_thr_create ignore-created-by beam.smp* "
     "unless-created-by erl_drv_thread_create",
     "Erlang: the BEAM's schedulers and helper threads run until the emulator halts"},
    // Its poll set's timerfd (erts_poll_create_pollset, at emulator start):
    // kept until the emulator halts, closed by the exit.
    {"ignore-created-by erts_poll_create_pollset",
     "Erlang: the emulator's poll set keeps a timerfd until the emulator halts"},
    // The same schedulers told by what they run, for when their creation stack
    // is cut short (seen once: only __clone3): parked inside beam.smp under
    // erts_schedule, the emulator's scheduler loop, which no NIF thread runs.
    {"ignore-top beam.smp* ignore erts_schedule",
     "Erlang: a BEAM scheduler parked in the emulator's scheduler loop"},
    // Ruby 3.x: after a Ruby thread ends, its native thread waits (60 s,
    // pthread_cond_timedwait) in libruby's thread cache for the next Thread.new.
    // Ruby terminates and joins every Ruby thread at exit, so a native thread
    // of libruby still parked in the cache holds no Ruby code.
    {"ignore-created-by libruby*.so* ignore-top libruby*.so* ignore pthread_cond_timedwait",
     "Ruby: native threads parked in libruby's thread cache for reuse"},
    // ... and one caught on its way there, releasing the GVL: an unlock never
    // blocks (FUTEX_WAKE), so the exit stopped it mid-step, not parked.
    {"ignore-created-by libruby*.so* ignore-top rb_native_mutex_unlock",
     "Ruby: a native thread releasing its lock on its way to the thread cache"},
    // Node.js: a node built with V8 and libuv inside (nodesource's) remaps its
    // text to anonymous memory, so its frames have no module: V8's platform
    // workers inherit the name "node", and the name is all that tells.
    {"ignore-comm node ignore-top ?unknown] ignore pthread_create",
     "Node.js: V8 platform and libuv threads live until the process exits"},
    // A node whose frames do resolve: the inspector's I/O thread (started by
    // node::inspector::Agent::Start) waits in uv_sem_wait for a debugger
    // until the process exits; the other runtime threads are joined at exit.
    {"ignore-comm node ignore-created-by node::inspector::*",
     "Node.js: the inspector's I/O thread waits for a debugger until the process exits"},
    // Debian's node links V8 and libuv as libnode.so: every thread it starts
    // (V8 platform workers, libuv's pool, the inspector) is the runtime's own;
    // worker_threads are terminated at exit.
    {"ignore-created-by libnode.so*",
     "Node.js (libnode): V8 platform and libuv threads live until the process exits"},
    // glibc: timer_create(SIGEV_THREAD) starts one helper thread per process
    // that waits in sigwaitinfo for timer signals until exit.
    {"ignore-created-by __timer_start_helper_thread",
     "glibc: the SIGEV_THREAD timer helper thread lives until exit"},
};

std::vector<SuppressionRule> parse_defaults() {
    std::vector<SuppressionRule> rules;
    for (const DefaultRule& d : kDefaults) {
        SuppressionRule rule;
        std::string error;
        if (!parse_rule(d.text, &rule, &error))
            throw std::logic_error(std::string("default suppression '") + d.text + "': " + error);
        rule.source = "default";
        rule.why = d.why;
        rules.push_back(std::move(rule));
    }
    return rules;
}

}  // namespace

const std::vector<SuppressionRule>& default_suppressions() {
    static const std::vector<SuppressionRule> rules = parse_defaults();
    return rules;
}

}  // namespace threadleak
