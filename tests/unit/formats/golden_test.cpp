// Golden-output test: two Reports with representative content, one of `run`
// and one of `attach`, rendered by every format in the registry
// (formats/report_format.h) and compared in full with
// tests/unit/formats/golden/<name>.<extension> (run) and
// golden/attach-<name>.<extension> (attach). A new format is covered
// by its registry row alone; its golden file is then missing and the test
// says how to make it. A binary format (FormatInfo::binary) is compared in a
// decoded text form, golden/<name>.<extension>.txt: a gzipped golden would
// change as a whole and show no diff to review.
//
// After an intended change of the output, regenerate the files and review
// their diff before committing:
//   THREADLEAK_UPDATE_GOLDEN=1 build/unit_tests --gtest_filter='Golden*'
// (scripts/update-golden.sh does this). The source tree is found through
// THREADLEAK_ROOT (set by scripts/run-tests.sh), else through __FILE__.
// Local times (attach's "started ...") are rendered with TZ=UTC.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analyze/wait_classification.h"
#include "formats/report_format.h"
#include "pprof_decode.h"
#include "syscalls/syscall_decode.h"

namespace threadleak {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLibc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
constexpr const char* kServer = "/usr/bin/server";
constexpr const char* kWorker = "/usr/libexec/worker";

/// GNU build-ids as libdwfl reads them; the worker's file has none.
std::string build_id_of(const std::string& module) {
    if (module == kLibc) return "4a6f1c0e9b2d8e7f5a3c1b0d9e8f7a6b5c4d3e2f";
    if (module == kServer) return "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";
    return "";
}

Frame frame(std::optional<std::string> function, const std::string& module, uint64_t offset,
            std::optional<std::string> file = std::nullopt, std::optional<int> line = std::nullopt) {
    Frame f;
    f.address = 0x7f3e9c200000 + offset;
    f.module = module;
    f.build_id = build_id_of(module);
    f.offset = offset;
    f.function = std::move(function);
    f.file = std::move(file);
    f.line = line;
    return f;
}

/// A return address in no known mapping (JIT code, say): no module, no symbol.
Frame unmapped_frame(uint64_t address) {
    Frame f;
    f.address = address;
    f.module = "[unknown]";
    f.offset = address;
    return f;
}

/// The syscall part comes from decode_syscall on raw numbers, as the resolver
/// builds it: the test follows whatever the decoder makes of them.
BlockedIn blocked_in(const RawSyscall& raw, std::optional<BlockedFor> blocked_for, Stack frames) {
    BlockedIn b;
    static_cast<DecodedSyscall&>(b) = decode_syscall(raw);
    b.blocked_for = blocked_for;
    b.frames = std::move(frames);
    return b;
}

RawSyscall raw_syscall(int64_t nr, std::array<uint64_t, 6> args) {
    RawSyscall r;
    r.nr = nr;
    r.args = args;
    return r;
}

Stack created_in_worker(const std::string& function, int line) {
    return {frame("__clone3", kLibc, 0x11c3c0),
            frame("start_thread", kLibc, 0x89134),
            frame(function, kWorker, 0x1a40, "/src/worker/pool.cpp", line),
            frame("main", kWorker, 0x1100, "/src/worker/main.cpp", 88)};
}

/// Three pool threads of the worker, created at one site, waiting on a futex.
LeakGroup pool_group() {
    LeakGroup g;
    g.threads = {{4123, kWorker, 4124, "pool-1", 4123},
                 {4123, kWorker, 4125, "pool-2", 4123},
                 {4123, kWorker, 4126, "pool-3", 4124}};
    g.created_by = created_in_worker("Pool::Pool(int)", 42);
    constexpr uint64_t kFutexWaitPrivate = 0 | 128;
    g.blocked_in = blocked_in(raw_syscall(202, {0x55d0c3e0e0a8, kFutexWaitPrivate, 0, 0, 0, 0}), BlockedFor{2'500'000'000, true},
                              {frame("__futex_abstimed_wait_common64", kLibc, 0x8ab2c, "./nptl/futex-internal.c", 57),
                               frame("std::condition_variable::wait(std::unique_lock<std::mutex>&)",
                                     "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", 0xd8f10),
                               frame("Pool::worker_loop()", kWorker, 0x1c80, "/src/worker/pool.cpp", 17)});
    return g;
}

/// A worker thread busy in user code when its process exited.
LeakGroup spinning_group() {
    LeakGroup g;
    g.threads = {{4123, kWorker, 4127, "spin", 4124}};
    g.created_by = created_in_worker("start_spinner()", 63);
    g.state = ThreadState::Running;
    g.running_frames = {frame(std::nullopt, kWorker, 0x2f00),  // no symbol covers it
                        frame("spin_forever(void*)", kWorker, 0x2e10, "/src/worker/spin.cpp", 30)};
    return g;
}

/// A server thread with a hostile name, still reading a pipe when --timeout expired.
LeakGroup hung_reader_group() {
    LeakGroup g;
    g.kind = LeakKind::Hung;
    g.threads = {{4100, kServer, 4101, "io\"\x01q", 4100}};
    g.created_by = {frame("__clone3", kLibc, 0x11c3c0),
                    frame("Server::start_io()", kServer, 0x3300, "/src/server/io.cpp", 12)};
    RawSyscall read = raw_syscall(0, {3, 0x7ffd2000, 4096, 0, 0, 0});
    read.fd_mode = S_IFIFO | 0600;
    read.fd_name = "pipe:[98765]";
    g.blocked_in = blocked_in(read, BlockedFor{30'000'000'000, false},
                              {frame("read", kLibc, 0x1147d0),
                               unmapped_frame(0x7f00dead1234),
                               frame("Server::io_loop()", kServer, 0x3450, "/src/server/io.cpp", 31)});
    return g;
}

/// The server's main thread, asleep with a timeout when --timeout expired.
/// --per-test: a thread the test "Cache.EvictsOld" started, still parked when
/// that test ended, joined only at process exit.
LeakGroup outlived_test_group() {
    LeakGroup g;
    g.kind = LeakKind::OutlivedTest;
    g.test = "Cache.EvictsOld";
    g.threads = {{4100, kServer, 4150, "evictor", 4100}};
    g.created_by = {frame("__clone3", kLibc, 0x11c3c0),
                    frame("Cache_EvictsOld_Test::TestBody()", kServer, 0x5100, "/src/server/cache_test.cpp", 40)};
    g.blocked_in = blocked_in(raw_syscall(202, {0x7f0000004000, 0x189, 0, 0, 0, 0xffffffff}),
                              BlockedFor{150'000'000, true},
                              {frame("__futex_abstimed_wait_common", kLibc, 0x8a3b6),
                               frame("Cache::evict_loop()", kServer, 0x5200, "/src/server/cache.cpp", 88)});
    return g;
}

LeakGroup hung_main_group() {
    LeakGroup g;
    g.kind = LeakKind::Hung;
    g.threads = {{4100, kServer, 4100, "server", std::nullopt}};
    RawSyscall sleep = raw_syscall(35, {0x7ffd1000, 0x7ffd1000, 0, 0, 0, 0});
    sleep.timeout_valid = true;
    sleep.timeout = {5, 0};
    g.blocked_in = blocked_in(sleep, BlockedFor{4'000'000, true},
                              {frame("__GI___nanosleep", kLibc, 0xeb7e5, "../sysdeps/unix/sysv/linux/nanosleep.c", 25),
                               frame("main", kServer, 0x1200, "/src/server/main.cpp", 77)});
    return g;
}

/// A thread of a helper that crashed: context, not a leak.
LeakGroup crashed_helper_group() {
    LeakGroup g;
    g.kind = LeakKind::AliveAtCrash;
    g.threads = {{4200, kWorker, 4201, "helper", 4200}};
    g.created_by = created_in_worker("start_helper()", 90);
    g.state = ThreadState::Starting;
    return g;
}

/// A helper the server started and never waited for, still reading a pipe
/// when the command exited; its argv carries a control character.
LeakedProcess helper_left_running() {
    LeakedProcess p;
    p.pid = 4300;
    p.exe = kWorker;
    p.cmdline = {"worker", "--role=helper", "two words\x07"};
    p.cmdline_truncated = true;
    p.ppid = 4100;
    p.parent_exe = kServer;
    p.creator_tid = 4101;
    p.created_by = {frame("_Fork", kLibc, 0xea6b0),
                    frame("Server::spawn_helper()", kServer, 0x3600, "/src/server/helper.cpp", 21),
                    frame("main", kServer, 0x1200, "/src/server/main.cpp", 70)};
    LeakGroup g;
    g.kind = LeakKind::LeftRunning;
    g.threads = {{4300, kWorker, 4300, "worker", std::nullopt}};
    RawSyscall read = raw_syscall(0, {0, 0x7ffd3000, 1, 0, 0, 0});
    read.fd_mode = S_IFIFO | 0600;
    read.fd_name = "pipe:[4321]";
    g.blocked_in = blocked_in(read, BlockedFor{1'200'000'000, true},
                              {frame("read", kLibc, 0x1147d0),
                               frame("main", kWorker, 0x1180, "/src/worker/main.cpp", 12)});
    p.threads = {g};
    return p;
}

/// Two worker threads in a lock-order deadlock, one with a hostile name: each
/// holds the mutex the other waits for.
std::vector<LeakGroup> deadlocked_groups() {
    std::vector<LeakGroup> out;
    const std::array<std::pair<int, std::string>, 2> members = {{{4128, "lock-a"}, {4129, "lock\x1b[2Jb"}}};
    const std::array<uint64_t, 2> mutexes = {0x55d0c3e0f040, 0x55d0c3e0f080};
    for (size_t i = 0; i < 2; ++i) {
        LeakGroup g;
        g.kind = LeakKind::Deadlock;
        g.threads = {{4123, kWorker, members[i].first, members[i].second, 4123}};
        g.created_by = created_in_worker("start_transfer()", 70);
        RawSyscall lock = raw_syscall(202, {mutexes[(i + 1) % 2], 0 | 128, 2, 0, 0, 0});
        g.blocked_in = blocked_in(lock, BlockedFor{1'200'000'000, true},
                                  {frame("__lll_lock_wait", kLibc, 0x8612b, "./nptl/lowlevellock.c", 49),
                                   frame("___pthread_mutex_lock", kLibc, 0x8c482, "./nptl/pthread_mutex_lock.c", 93),
                                   frame("transfer(Account&, Account&)", kWorker, 0x3100, "/src/worker/bank.cpp", 21)});
        g.blocked_in->object.futex_words = std::array<uint64_t, 2>{2, static_cast<uint64_t>(members[(i + 1) % 2].first)};
        g.wait = classify_wait(*g.blocked_in);
        g.waits_for = WaitsFor{members[(i + 1) % 2].first, members[(i + 1) % 2].second, true, WaitKind::Mutex};
        g.deadlock = 0;
        out.push_back(std::move(g));
    }
    return out;
}

Deadlock golden_deadlock() {
    Deadlock d;
    d.pid = 4123;
    d.cycle = {4128, 4129};
    d.edges = {{4128, "lock-a", WaitKind::Mutex, 0x55d0c3e0f080, 4129},
               {4129, "lock\x1b[2Jb", WaitKind::Mutex, 0x55d0c3e0f040, 4128}};
    return d;
}

constexpr const char* kGoService = "/usr/bin/gosvc";

/// Three goroutines of a Go program, each receiving from a channel nobody
/// sends on, as golang/goroutine_reader reads them.
LeakGroup leaked_goroutines(const std::string& go_function, const std::string& file, Mode mode) {
    LeakGroup g;
    g.kind = LeakKind::Goroutine;
    g.state = ThreadState::Goroutine;
    g.created_by = {frame(go_function, kGoService, 0x9a120, file, 41)};
    GoroutineFacts f;
    f.goids = {18, 19, 35};
    f.status = "waiting";
    // A wait reason is read from the target's memory: the attach one is hostile.
    f.wait_reason = mode == Mode::Attach ? "chan receive\x1b]0;owned\x07</code>" : "chan receive";
    f.waiting_ns = mode == Mode::Attach ? 42 * 1'000'000'000ull : 2'500'000'000ull;
    f.at_exit = mode == Mode::Run;  // attach: parked in a live process
    f.start_function = frame("main.startWorkers.func1", kGoService, 0x9a200, "/src/gosvc/workers.go", 43);
    f.frames = {frame("runtime.gopark", kGoService, 0x3b2f6, "/usr/lib/go-1.19/src/runtime/proc.go", 363),
                frame("runtime.chanrecv", kGoService, 0x86d1c, "/usr/lib/go-1.19/src/runtime/chan.go", 583),
                frame("runtime.chanrecv1", kGoService, 0x86b12, "/usr/lib/go-1.19/src/runtime/chan.go", 442),
                frame("main.startWorkers.func1", kGoService, 0x9a23a, "/src/gosvc/workers.go", 44)};
    f.blocked_frame = f.frames.back();
    g.goroutine = std::move(f);
    for (int i = 0; i < 3; i++) g.threads.push_back({4400, kGoService, 0, "gosvc", std::nullopt});
    return g;
}

Report golden_report() {
    Report r;
    r.session.command = {kServer, "--workers", "3"};
    r.session.signal = "SIGKILL";
    r.session.timed_out = true;
    r.session.threadleak_version = "9.9.9";
    r.session.start_unix_ns = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z
    r.session.duration_ns = 30'004'512'345;
    r.health.ringbuf_drops = 5;
    r.health.traced_map_full = 1;
    r.health.malformed_records = 1;
    r.health.stack_copy_failures = 2;
    r.health.unreadable_memory = 1;
    r.health.unreadable_maps = 1;
    r.processes = {{4100, 4000, kServer, "server", std::nullopt, "SIGKILL"},
                   {4123, 4100, kWorker, "worker", 3, std::nullopt},
                   {4200, 4100, kWorker, "worker", std::nullopt, "SIGSEGV"}};
    r.leaks = deadlocked_groups();
    for (LeakGroup g : {pool_group(), spinning_group(), hung_reader_group(), hung_main_group(), outlived_test_group()})
        r.leaks.push_back(std::move(g));
    r.leaks[2].kind = LeakKind::Parked;  // the pool: an untimed wait when its process exited
    r.leaks[3].kind = LeakKind::Busy;    // the spinner
    r.leaks.push_back(leaked_goroutines("main.startWorkers", "/src/gosvc/workers.go", Mode::Run));
    r.processes.push_back({4400, 4100, kGoService, "gosvc", 0, std::nullopt});
    for (LeakGroup& g : r.leaks)
        if (!g.wait && g.blocked_in) g.wait = classify_wait(*g.blocked_in);
    r.deadlocks = {golden_deadlock()};
    LeakedTimers timers;  // the worker's heartbeat timer, never closed; its first one was
    timers.pid = 4123;
    timers.exe = kWorker;
    timers.creator_tid = 4123;
    timers.created_by = {frame("Heartbeat::start()", kWorker, 0x3800, "/src/worker/heartbeat.cpp", 14),
                         frame("main", kWorker, 0x1100, "/src/worker/main.cpp", 90)};
    timers.fds = {9};
    timers.created = 2;
    timers.closed = 1;
    timers.interval_ns = 250'000'000;
    timers.armed = true;
    r.timers = {timers};
    r.alive_at_crash = {crashed_helper_group()};
    r.leaked_processes = {helper_left_running()};
    r.suppressed = {{"ignore-created-by libjvm.so unless-created-by JVM_StartThread", "default", 9},
                    {"ignore-comm \"pool worker*\"", "/etc/threadleak.supp:3", 0}};
    return r;
}

// ---- The attach report: two processes watched for a minute. ----

constexpr int64_t kAttachUnixNs = 1'796'320'800'000'000'000;  // 2026-12-03T18:00:00Z
constexpr uint64_t kSecond = 1'000'000'000;

/// The worker's comm (and its main thread's name): an escape sequence that
/// would clear a terminal and a bidi override.
const std::string kHostileComm = "wrk\x1b[2J\xe2\x80\xae";
/// A function name and file that carry markup, quotes, a forged report line and invalid UTF-8.
const std::string kHostileFunction = "<script>alert(1)</script>\"'&\xff spawn_plugin()";
const std::string kHostileFile = "/src/worker/plugin\n==1== fake.cpp";

Stack session_reader_creation() {
    return {frame("__clone3", kLibc, 0x11c3c0), frame("pthread_create", kLibc, 0x8a0f0),
            frame("Server::start_session_reader(int)", kServer, 0x4200, "/src/server/session.cpp", 42),
            frame("Server::accept_loop()", kServer, 0x4010, "/src/server/accept.cpp", 19),
            frame("main", kServer, 0x1200, "/src/server/main.cpp", 75)};
}

Stack pool_creation() {
    return {frame("__clone3", kLibc, 0x11c3c0), frame("pthread_create", kLibc, 0x8a0f0),
            frame("Pool::Pool(int)", kWorker, 0x1a40, "/src/worker/pool.cpp", 42),
            frame("main", kWorker, 0x1100, "/src/worker/main.cpp", 88)};
}

std::vector<SitePoint> series(std::vector<std::array<uint64_t, 3>> points) {
    std::vector<SitePoint> out;
    for (const auto& [t_s, alive, parked] : points) out.push_back({t_s * kSecond, alive, parked});
    return out;
}

CreationSite site(int pid, const std::string& comm, const std::string& exe, std::string label, SiteVerdict verdict,
                  std::array<uint64_t, 4> created_exited_alive_parked) {
    CreationSite s;
    s.pid = pid;
    s.comm = comm;
    s.exe = exe;
    s.label = std::move(label);
    s.verdict = verdict;
    s.created = created_exited_alive_parked[0];
    s.exited = created_exited_alive_parked[1];
    s.alive = created_exited_alive_parked[2];
    s.parked = created_exited_alive_parked[3];
    return s;
}

/// Sites as the census orders them: leaking first, then parked, then by alive threads.
std::vector<CreationSite> attach_sites() {
    CreationSite leaking = site(4100, "server", kServer, "Server::start_session_reader(int) (session.cpp:42)",
                                SiteVerdict::Leaking, {24, 0, 24, 22});
    leaking.created_by = session_reader_creation();
    leaking.created_by.resize(3);  // through the site's frame, the first outside the threading library
    leaking.slope_per_min = 24.0;
    leaking.projected_24h = 24 + 24.0 * 1440;
    leaking.series = series({{0, 4, 2}, {10, 8, 6}, {20, 12, 10}, {30, 16, 14}, {40, 20, 18}, {50, 24, 22}});

    CreationSite pool = site(4123, kHostileComm, kWorker, "Pool::Pool(int) (pool.cpp:42)", SiteVerdict::Parked,
                             {8, 0, 8, 8});
    pool.created_by = pool_creation();
    pool.created_by.resize(3);
    pool.slope_per_min = 0.0;
    pool.projected_24h = 8;
    pool.series = series({{0, 8, 0}, {10, 8, 8}, {20, 8, 8}, {30, 8, 8}, {40, 8, 8}, {50, 8, 8}});

    CreationSite before = site(4100, "server", kServer, "created before attach", SiteVerdict::Parked, {0, 1, 3, 3});
    before.created_before_attach = true;
    before.slope_per_min = -1.2;
    before.projected_24h = 0;
    before.series = series({{0, 4, 4}, {10, 4, 4}, {20, 4, 4}, {30, 3, 3}, {40, 3, 3}, {50, 3, 3}});

    CreationSite ok = site(4123, kHostileComm, kWorker, "handle_request(Request const&) (handler.cpp:77)",
                           SiteVerdict::Ok, {120, 119, 1, 0});
    ok.created_by = {frame("__clone3", kLibc, 0x11c3c0), frame("pthread_create", kLibc, 0x8a0f0),
                     frame("handle_request(Request const&)", kWorker, 0x2240, "/src/worker/handler.cpp", 77)};
    ok.lifetime_ns = Lifetimes{850'000, 12'000'000, 95'000'000, 140'000'000};
    ok.slope_per_min = 0.01;
    ok.projected_24h = 1.4;
    ok.series = series({{0, 1, 0}, {10, 0, 0}, {20, 2, 0}, {30, 1, 0}, {40, 0, 0}, {50, 1, 0}});

    CreationSite early = site(4123, kHostileComm, kWorker, kHostileFunction + " (plugin\n==1== fake.cpp:9)",
                              SiteVerdict::TooEarly, {3, 2, 1, 0});
    early.created_by = {frame("__clone3", kLibc, 0x11c3c0), frame(kHostileFunction, kWorker, 0x2900, kHostileFile, 9)};
    early.lifetime_ns = Lifetimes{1'500'000, 2'000'000, 3'100'000, 3'200'000};
    early.series = series({{45, 1, 0}, {50, 1, 0}});
    return {leaking, pool, before, ok, early};
}

/// The session readers the leaking site started, parked on a futex.
LeakGroup parked_readers() {
    LeakGroup g;
    g.kind = LeakKind::Parked;
    for (int i = 1; i <= 22; ++i) g.threads.push_back({4100, kServer, 4200 + i, "reader-" + std::to_string(i), 4100});
    g.created_by = session_reader_creation();
    constexpr uint64_t kFutexWaitPrivate = 0 | 128;
    g.blocked_in = blocked_in(raw_syscall(202, {0x55d0c3e1f0a8, kFutexWaitPrivate, 0, 0, 0, 0}), BlockedFor{48 * kSecond, true},
                              {frame("__futex_abstimed_wait_common64", kLibc, 0x8ab2c, "./nptl/futex-internal.c", 57),
                               frame("Session::wait_for_data()", kServer, 0x4480, "/src/server/session.cpp", 88)});
    return g;
}

/// The worker's idle pool, parked on its queue's condition variable.
LeakGroup parked_pool() {
    LeakGroup g;
    g.kind = LeakKind::Parked;
    for (int i = 1; i <= 8; ++i) g.threads.push_back({4123, kWorker, 4130 + i, "pool-" + std::to_string(i), 4123});
    g.created_by = pool_creation();
    constexpr uint64_t kFutexWaitBitsetPrivate = 9 | 128;
    g.blocked_in = blocked_in(raw_syscall(202, {0x7f0000008000, kFutexWaitBitsetPrivate, 0, 0, 0, 0xffffffff}),
                              BlockedFor{55 * kSecond, true},
                              {frame("__futex_abstimed_wait_common", kLibc, 0x8a3b6),
                               frame("std::condition_variable::wait(std::unique_lock<std::mutex>&)",
                                     "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", 0xd8f10),
                               frame("Pool::worker_loop()", kWorker, 0x1c80, "/src/worker/pool.cpp", 17)});
    return g;
}

/// Server threads that were already reading their pipes when threadleak
/// attached: no creation stack; /proc gave two of them a start time.
LeakGroup parked_before_attach() {
    LeakGroup g;
    g.kind = LeakKind::Parked;
    g.created_before_attach = true;
    g.threads = {{4100, kServer, 4101, "legacy-io", std::nullopt, kAttachUnixNs - 59 * int64_t(kSecond)},
                 {4100, kServer, 4102, "legacy-io", std::nullopt, kAttachUnixNs - 54 * int64_t(kSecond)},
                 {4100, kServer, 4103, "legacy-io", std::nullopt, std::nullopt}};
    RawSyscall read = raw_syscall(0, {7, 0x7ffd4000, 512, 0, 0, 0});
    read.fd_mode = S_IFIFO | 0600;
    read.fd_name = "pipe:[55501]";
    g.blocked_in = blocked_in(read, BlockedFor{120 * kSecond, false},
                              {frame("read", kLibc, 0x1147d0),
                               frame("LegacyIo::pump()", kServer, 0x6100, "/src/server/legacy.cpp", 33)});
    return g;
}

/// The worker's main thread, created (with its process) before attach, in
/// accept4 under a function whose name is hostile.
LeakGroup parked_main_thread() {
    LeakGroup g;
    g.kind = LeakKind::Parked;
    g.created_before_attach = true;
    g.threads = {{4123, kWorker, 4123, kHostileComm, std::nullopt, kAttachUnixNs - 1800 * int64_t(kSecond)}};
    RawSyscall accept = raw_syscall(288, {5, 0, 0, 0x80000, 0, 0});
    accept.fd_mode = S_IFSOCK | 0777;
    accept.fd_name = "socket:[77001]";
    g.blocked_in = blocked_in(accept, BlockedFor{200 * kSecond, false},
                              {frame("accept4", kLibc, 0x126e30), frame(kHostileFunction, kWorker, 0x2a10, kHostileFile, 12),
                               frame("main", kWorker, 0x1100, "/src/worker/main.cpp", 95)});
    return g;
}

Report attach_golden_report() {
    Report r;
    r.session.mode = Mode::Attach;
    r.session.pids = {4100, 4123};
    r.session.threadleak_version = "9.9.9";
    r.session.start_unix_ns = kAttachUnixNs;
    r.session.duration_ns = 60 * kSecond + 2'000'000;
    r.session.parked_threshold_ns = 10 * kSecond;
    r.session.min_observation_ns = 30 * kSecond;
    r.processes = {{4100, 1, kServer, "server", std::nullopt, std::nullopt},
                   {4123, 1, kWorker, kHostileComm, std::nullopt, std::nullopt},
                   {4400, 1, kGoService, "gosvc", std::nullopt, std::nullopt}};
    r.leaks = {parked_readers(), parked_before_attach(), parked_pool(), parked_main_thread(),
               leaked_goroutines(kHostileFunction, kHostileFile, Mode::Attach)};
    r.sites = attach_sites();
    return r;
}

/// TZ=UTC while it lives, so local times render the same on every machine.
class UtcTimeZone {
public:
    UtcTimeZone() {
        if (const char* tz = std::getenv("TZ")) saved_ = tz;
        setenv("TZ", "UTC", 1);
        tzset();
    }
    ~UtcTimeZone() {
        if (saved_) setenv("TZ", saved_->c_str(), 1);
        else unsetenv("TZ");
        tzset();
    }

private:
    std::optional<std::string> saved_;
};

fs::path golden_dir() {
    if (const char* root = std::getenv("THREADLEAK_ROOT"); root && *root)
        return fs::path(root) / "tests/unit/formats/golden";
    return fs::path(__FILE__).parent_path() / "golden";
}

bool updating() {
    const char* update = std::getenv("THREADLEAK_UPDATE_GOLDEN");
    return update && *update && std::string(update) != "0";
}

std::vector<std::string> format_names() {
    std::vector<std::string> names;
    for (const FormatInfo& f : report_formats()) names.emplace_back(f.name);
    return names;
}

const FormatInfo& format_named(const std::string& name) {
    for (const FormatInfo& f : report_formats())
        if (f.name == name) return f;
    throw std::logic_error("no format " + name);
}

/// What is compared with the golden file: the output, or for a binary
/// format the text form of what it decodes to.
std::string comparable(const FormatInfo& format, const std::string& output) {
    if (!format.binary) return output;
    if (format.name == "pprof") return pprof_test::pprof_text(output);
    ADD_FAILURE() << "binary format " << format.name << " has no text form: add its decoder to comparable()";
    return output;
}

/// Which report, and the golden files' prefix.
struct GoldenCase {
    const char* prefix;
    Report (*report)();
};
constexpr GoldenCase kRun{"", golden_report};
constexpr GoldenCase kAttach{"attach-", attach_golden_report};

void check_golden(const GoldenCase& which, const std::string& format_name) {
    const FormatInfo& format = format_named(format_name);
    const fs::path golden = golden_dir() / (which.prefix + std::string(format.name) + "." +
                                            std::string(format.extension) + (format.binary ? ".txt" : ""));
    const UtcTimeZone utc;
    std::ostringstream written;
    format.make(FormatOptions{})->write(which.report(), written);
    const std::string out = comparable(format, written.str());

    if (updating()) {
        std::ofstream(golden, std::ios::binary) << out;
        std::cout << "updated " << golden.string() << "\n";
        return;
    }
    std::ifstream in(golden, std::ios::binary);
    ASSERT_TRUE(in) << golden << " is missing: run scripts/update-golden.sh, review it and commit it";
    std::ostringstream expected;
    expected << in.rdbuf();
    EXPECT_EQ(out, expected.str())
        << "the " << format.name << " output changed; if that is intended, run scripts/update-golden.sh "
        << "and commit " << golden;
}

class GoldenOutput : public ::testing::TestWithParam<std::string> {};
TEST_P(GoldenOutput, MatchesTheCheckedInFile) { check_golden(kRun, GetParam()); }
INSTANTIATE_TEST_SUITE_P(Golden, GoldenOutput, ::testing::ValuesIn(format_names()),
                         [](const auto& info) { return info.param; });

class GoldenAttachOutput : public ::testing::TestWithParam<std::string> {};
TEST_P(GoldenAttachOutput, MatchesTheCheckedInFile) { check_golden(kAttach, GetParam()); }
INSTANTIATE_TEST_SUITE_P(Golden, GoldenAttachOutput, ::testing::ValuesIn(format_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace threadleak
