// Real libraries under `threadleak run`: what a user of ZeroMQ, OpenMP (libgomp) and
// librdkafka checks in the report when a context, a parallel region or a producer
// leaves its library's background threads behind. The libraries are the distribution's
// stripped builds (scripts/install-deps.sh), so their internal frames have no names:
// the assertions pin what the report can and must get right — thread names, who
// created each thread and from which line of the fixture, the syscall it is parked in
// and the module of the instruction it is parked at — and cross-check the parked
// instruction against the bytes of the module file itself.
#include <sched.h>

#include "run_harness.h"

namespace {

using namespace threadleak_test;

class RealLibraryTest : public RunTest {
 protected:
  void SetUp() override {
    RunTest::SetUp();
    if (HasFatalFailure()) return;
    for (const char *name : {"zmq_context_leak", "openmp_pool", "rdkafka_producer_leak"})
      ASSERT_TRUE(fs::exists(RepoRoot() / "build/fixtures" / name))
          << "build/fixtures/" << name << " is missing: run `make fixtures` "
          << "(needs libzmq3-dev and librdkafka-dev: scripts/install-deps.sh)";
  }
};

std::string ModuleOf(const json &frame) { return GetString(frame, "/module"); }

bool ModuleIs(const json &frame, std::string_view library) {
  return ModuleOf(frame).find(library) != std::string::npos;
}

/// Index of the first frame whose function is exactly `name`, or -1.
int IndexOfFunction(const json &frames, std::string_view name) {
  if (!frames.is_array()) return -1;
  for (size_t i = 0; i < frames.size(); ++i)
    if (FunctionOf(frames[i]) == name) return static_cast<int>(i);
  return -1;
}

bool HasFrameIn(const json &frames, std::string_view library) {
  if (!frames.is_array()) return false;
  for (const auto &frame : frames)
    if (ModuleIs(frame, library)) return true;
  return false;
}

/// 1-based line of the first line of tests/fixtures/`file` containing `needle`, or -1.
long LineOf(const std::string &file, std::string_view needle) {
  std::ifstream in(RepoRoot() / "tests/fixtures" / file);
  std::string line;
  for (long number = 1; std::getline(in, line); ++number)
    if (line.find(needle) != std::string::npos) return number;
  return -1;
}

/// The `count` bytes of ELF file `path` that are loaded at `vaddr - count`, i.e. just
/// before the (load-bias-relative) address `vaddr`; empty if no PT_LOAD maps them.
std::string BytesBefore(const std::string &path, uint64_t vaddr, size_t count) {
  std::ifstream in(path, std::ios::binary);
  const std::string image{std::istreambuf_iterator<char>(in), {}};
  if (image.size() < sizeof(Elf64_Ehdr) || vaddr < count) return {};
  const auto *ehdr = reinterpret_cast<const Elf64_Ehdr *>(image.data());
  if (ehdr->e_phoff + size_t{ehdr->e_phnum} * sizeof(Elf64_Phdr) > image.size()) return {};
  const auto *phdrs = reinterpret_cast<const Elf64_Phdr *>(image.data() + ehdr->e_phoff);
  const uint64_t start = vaddr - count;
  for (int i = 0; i < ehdr->e_phnum; ++i) {
    const Elf64_Phdr &ph = phdrs[i];
    if (ph.p_type != PT_LOAD || start < ph.p_vaddr || vaddr > ph.p_vaddr + ph.p_filesz) continue;
    const uint64_t file_offset = start - ph.p_vaddr + ph.p_offset;
    if (file_offset + count > image.size()) return {};
    return image.substr(file_offset, count);
  }
  return {};
}

/// True if the instruction right before `frame`'s address is `syscall` (0f 05): the
/// innermost frame of a thread parked in a system call is the syscall's return address.
bool FollowsSyscallInstruction(const json &frame) {
  const std::string offset = GetString(frame, "/offset");
  if (offset.rfind("0x", 0) != 0) return false;
  const uint64_t vaddr = std::stoull(offset, nullptr, 16);
  return BytesBefore(ModuleOf(frame), vaddr, 2) == std::string("\x0f\x05", 2);
}

/// A compact one-line-per-frame view for failure messages.
std::string FramesText(const json &frames) {
  std::string text;
  if (!frames.is_array()) return "(no frames)\n";
  for (const auto &frame : frames)
    text += "  " + (FunctionOf(frame).empty() ? std::string("??") : FunctionOf(frame)) + " (" +
            ModuleOf(frame) + "+" + GetString(frame, "/offset") + ")\n";
  return text;
}

/// The leak group whose `comm` is `comm`, or null.
json LeakNamed(const json &report, std::string_view comm) {
  for (const auto &leak : Get(report, "/leaks"))
    if (GetString(leak, "/comm") == comm) return leak;
  return json();
}

/// Checks that hold for every leak of a single-process fixture: never joined (parked or busy), in the
/// traced process, created by its main thread.
void ExpectUnjoinedFromMainThread(const RunResult &run, const json &leak) {
  const long pid = GetInt(run.report, "/processes/0/pid");
  // Killed by the exit: busy in user code, parked in a wait with no timeout;
  // a timed wait is unjoined, or ticking when it was seen to come back.
  const std::string kind = GetString(leak, "/kind");
  if (GetString(leak, "/state") == "running")
    EXPECT_EQ(kind, "busy") << leak.dump(2);
  else if (Get(leak, "/wait/timed") == true)
    EXPECT_TRUE(kind == "unjoined" || kind == "ticking") << leak.dump(2);
  else
    EXPECT_EQ(kind, "parked") << leak.dump(2);
  EXPECT_EQ(GetInt(leak, "/pid"), pid) << leak.dump(2);
  EXPECT_EQ(GetInt(leak, "/created_by/tid"), pid)
      << "the main thread (tid == pid) created every background thread\n"
      << leak.dump(2);
  EXPECT_EQ(GetInt(leak, "/count"), static_cast<long>(Get(leak, "/tids").size())) << leak.dump(2);
  for (const auto &tid : Get(leak, "/tids")) EXPECT_NE(tid.get<long>(), pid) << leak.dump(2);
}

/// Checks of the report as a whole, for `command` (fixture path and arguments).
void ExpectReportOf(const RunResult &run, const std::vector<std::string> &command,
                    int expected_tool_exit) {
  ASSERT_TRUE(run.report.is_object()) << "no JSON report written\n" << run.Describe();
  EXPECT_EQ(run.exit_code, expected_tool_exit) << run.Describe();
  EXPECT_EQ(GetString(run.report, "/schema"), "threadleak/1");
  EXPECT_EQ(Get(run.report, "/command"), json(command)) << run.Describe();
  EXPECT_EQ(GetInt(run.report, "/exit_code"), 0) << run.Describe();
  EXPECT_EQ(GetInt(run.report, "/lost_events"), 0) << run.Describe();
  EXPECT_EQ(Get(run.report, "/timed_out"), json(false)) << run.Describe();
  ASSERT_EQ(Get(run.report, "/processes").size(), 1u) << run.Describe();
  ASSERT_TRUE(Get(run.report, "/leaks").is_array()) << run.Describe();
  long total = 0;
  for (const auto &leak : Get(run.report, "/leaks")) total += GetInt(leak, "/count", 0);
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), total) << run.Describe();
}

// --- ZeroMQ -------------------------------------------------------------------

// zmq_ctx_new() starts no thread: libzmq 4.x starts the reaper and the I/O thread
// lazily, in the first zmq_socket(). zmq_socket() tail-calls the (hidden, unnamed)
// ctx_t::create_socket, so no frame of its own is on the stack: the creator chain
// is pthread_create <- libzmq frames <- open_bus at its zmq_socket() line <- main.
TEST_F(RealLibraryTest, ZmqContextNeverTerminatedLeaksReaperAndIoThreadInEpollWait) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunFixture("zmq_context_leak");
  ASSERT_NO_FATAL_FAILURE(ExpectReportOf(run, {"build/fixtures/zmq_context_leak"}, kLeakExitCode));
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 2) << run.Describe();
  EXPECT_EQ(Get(run.report, "/leaks").size(), 2u) << run.Describe();

  const long socket_line = LineOf("zmq_context_leak.c", "zmq_socket(bus_ctx");
  ASSERT_GT(socket_line, 0);
  const long open_bus_line = LineOf("zmq_context_leak.c", "open_bus() != 0");
  ASSERT_GT(open_bus_line, 0);

  std::set<long> epoll_fds;
  std::string thread_start_caller;  // module+offset of the frame that calls pthread_create
  for (const char *name : {"ZMQbg/Reaper", "ZMQbg/IO/0"}) {
    SCOPED_TRACE(name);
    const json leak = LeakNamed(run.report, name);
    ASSERT_TRUE(leak.is_object()) << "no leak named " << name << "\n" << run.Describe();
    ExpectUnjoinedFromMainThread(run, leak);
    EXPECT_EQ(GetInt(leak, "/count"), 1) << leak.dump(2);
    EXPECT_EQ(Get(leak, "/thread_names"), json::array({name})) << leak.dump(2);
    // Its poller watches the thread's mailbox: not an empty set.
    EXPECT_EQ(GetString(leak, "/wait/kind"), "epoll") << leak.dump(2);
    EXPECT_EQ(Get(leak, "/wait/epoll_empty"), false) << leak.dump(2);

    // Created by open_bus's zmq_socket() call, through libzmq only.
    const json created = Get(leak, "/created_by/frames");
    const int create = IndexOfFunction(created, "pthread_create");
    const int open_bus = IndexOfFunction(created, "open_bus");
    const int main_frame = IndexOfFunction(created, "main");
    ASSERT_GE(create, 0) << FramesText(created) << run.Describe();
    ASSERT_GT(open_bus, create + 1) << "libzmq frames must sit between pthread_create and open_bus\n"
                                    << FramesText(created) << run.Describe();
    EXPECT_EQ(main_frame, open_bus + 1) << FramesText(created);
    for (int i = create + 1; i < open_bus; ++i) {
      EXPECT_TRUE(ModuleIs(created[i], "/libzmq.so")) << "frame #" << i << "\n" << FramesText(created);
    }
    EXPECT_EQ(GetInt(created[open_bus], "/line"), socket_line) << created[open_bus].dump(2);
    EXPECT_TRUE(GetString(created[open_bus], "/file").ends_with("tests/fixtures/zmq_context_leak.c"))
        << created[open_bus].dump(2);
    EXPECT_TRUE(ModuleIs(created[open_bus], "build/fixtures/zmq_context_leak")) << created[open_bus].dump(2);
    EXPECT_EQ(GetInt(created[main_frame], "/line"), open_bus_line) << created[main_frame].dump(2);
    // Both threads are started by the same zmq::thread_t::start call site.
    const std::string caller = ModuleOf(created[create + 1]) + "+" + GetString(created[create + 1], "/offset");
    if (thread_start_caller.empty()) thread_start_caller = caller;
    EXPECT_EQ(caller, thread_start_caller) << FramesText(created);

    // Parked in epoll_wait on its own epoll instance, forever.
    EXPECT_EQ(GetString(leak, "/state"), "blocked") << leak.dump(2);
    const std::string syscall = GetString(leak, "/blocked_in/syscall");
    EXPECT_TRUE(syscall == "epoll_wait" || syscall == "epoll_pwait") << leak.dump(2);
    EXPECT_EQ(GetString(leak, "/blocked_in/args/fd_kind"), "epoll") << leak.dump(2);
    EXPECT_LT(GetInt(leak, "/blocked_in/args/timeout_ms", 0), 0) << "waits forever\n" << leak.dump(2);
    EXPECT_TRUE(Get(leak, "/blocked_in/timeout_ns").is_null()) << leak.dump(2);
    epoll_fds.insert(GetInt(leak, "/blocked_in/args/fd"));
    // Parked since before main's 100 ms nap: measured, and never longer than the run.
    EXPECT_GT(GetInt(leak, "/blocked_in/blocked_for_ns", 0), 0) << leak.dump(2);
    EXPECT_LT(GetInt(leak, "/blocked_in/blocked_for_ns", 0),
              std::chrono::duration_cast<std::chrono::nanoseconds>(run.duration).count())
        << leak.dump(2);
    EXPECT_TRUE(Get(leak, "/blocked_in/blocked_for_exact").is_boolean()) << leak.dump(2);
    EXPECT_TRUE(Get(leak, "/running_frames").empty()) << leak.dump(2);

    const json blocked = BlockedFrames(leak);
    ASSERT_FALSE(blocked.empty()) << leak.dump(2);
    EXPECT_TRUE(FunctionOf(blocked[0]).starts_with("epoll_")) << FramesText(blocked);
    EXPECT_TRUE(ModuleIs(blocked[0], "/libc.so")) << FramesText(blocked);
    EXPECT_TRUE(FollowsSyscallInstruction(blocked[0]))
        << "the innermost frame must be the return address of a syscall instruction\n"
        << FramesText(blocked);
    EXPECT_TRUE(HasFrameIn(blocked, "/libzmq.so")) << FramesText(blocked);
    EXPECT_GE(IndexOfFunction(blocked, "start_thread"), 1) << FramesText(blocked);
  }
  EXPECT_EQ(epoll_fds.size(), 2u) << "each thread has its own epoll fd\n" << run.Describe();
}

TEST_F(RealLibraryTest, ZmqContextTerminatedLeaksNothing) {
  SKIP_UNLESS_ROOT();
  const std::vector<std::string> command{"build/fixtures/zmq_context_leak", "--clean"};
  const RunResult run = RunCommand(command);
  ASSERT_NO_FATAL_FAILURE(ExpectReportOf(run, command, 0));
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 0) << run.Describe();
  EXPECT_TRUE(Get(run.report, "/leaks").empty()) << run.Describe();
}

// --- OpenMP (libgomp) ---------------------------------------------------------

/// The single pool worker of openmp_pool's num_threads(2) region, with its creator.
json ExpectOneGompWorker(const RunResult &run) {
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 1) << run.Describe();
  const json leaks = Get(run.report, "/leaks");
  EXPECT_EQ(leaks.size(), 1u) << run.Describe();
  if (!leaks.is_array() || leaks.empty()) return json::object();
  const json &leak = leaks[0];
  ExpectUnjoinedFromMainThread(run, leak);
  EXPECT_EQ(GetString(leak, "/comm"), GetString(run.report, "/processes/0/comm")) << leak.dump(2);

  const json created = Get(leak, "/created_by/frames");
  const int create = IndexOfFunction(created, "pthread_create");
  const int gomp_parallel = IndexOfFunction(created, "GOMP_parallel");
  const int compute_sum = IndexOfFunction(created, "compute_sum");
  const int main_frame = IndexOfFunction(created, "main");
  EXPECT_GE(create, 0) << FramesText(created) << run.Describe();
  EXPECT_GT(gomp_parallel, create) << FramesText(created) << run.Describe();
  EXPECT_EQ(compute_sum, gomp_parallel + 1) << FramesText(created) << run.Describe();
  EXPECT_EQ(main_frame, compute_sum + 1) << FramesText(created) << run.Describe();
  if (gomp_parallel >= 0) {
    EXPECT_TRUE(ModuleIs(created[gomp_parallel], "libgomp")) << FramesText(created);
  }
  for (int i = create + 1; create >= 0 && i < gomp_parallel; ++i) {
    EXPECT_TRUE(ModuleIs(created[i], "libgomp")) << "frame #" << i << "\n" << FramesText(created);
  }
  if (compute_sum >= 0) {
    EXPECT_EQ(GetInt(created[compute_sum], "/line"), LineOf("openmp_pool.c", "#pragma omp parallel"))
        << created[compute_sum].dump(2);
  }
  if (main_frame >= 0) {
    EXPECT_EQ(GetInt(created[main_frame], "/line"), LineOf("openmp_pool.c", "= compute_sum("))
        << created[main_frame].dump(2);
  }
  return leak;
}

/// The worker parked by libgomp's own futex syscall (no libc wrapper in between).
void ExpectBlockedInGompFutex(const json &leak) {
  EXPECT_EQ(GetString(leak, "/state"), "blocked") << leak.dump(2);
  EXPECT_EQ(GetString(leak, "/blocked_in/syscall"), "futex") << leak.dump(2);
  EXPECT_EQ(GetString(leak, "/blocked_in/args/op"), "FUTEX_WAIT_PRIVATE") << leak.dump(2);
  EXPECT_EQ(GetString(leak, "/blocked_in/args/timeout"), "none") << leak.dump(2);
  EXPECT_TRUE(Get(leak, "/blocked_in/timeout_ns").is_null()) << leak.dump(2);
  const json frames = BlockedFrames(leak);
  ASSERT_FALSE(frames.empty()) << leak.dump(2);
  EXPECT_TRUE(ModuleIs(frames[0], "libgomp")) << FramesText(frames);
  EXPECT_TRUE(FollowsSyscallInstruction(frames[0]))
      << "libgomp issues the futex syscall itself: the innermost frame must follow its "
         "syscall instruction\n"
      << FramesText(frames);
  EXPECT_GE(IndexOfFunction(frames, "start_thread"), 1) << FramesText(frames);
  EXPECT_TRUE(Get(leak, "/running_frames").empty()) << leak.dump(2);
}

/// The worker spinning in libgomp's wait loop: no syscall, a user stack from the PC.
void ExpectRunningInGomp(const json &leak) {
  EXPECT_EQ(GetString(leak, "/state"), "running") << leak.dump(2);
  EXPECT_TRUE(Get(leak, "/blocked_in").is_null()) << leak.dump(2);
  const json frames = Get(leak, "/running_frames");
  ASSERT_FALSE(frames.empty()) << leak.dump(2);
  EXPECT_TRUE(ModuleIs(frames[0], "libgomp")) << "spinning inside libgomp\n" << FramesText(frames);
  EXPECT_FALSE(FollowsSyscallInstruction(frames[0])) << FramesText(frames);
  EXPECT_GE(IndexOfFunction(frames, "start_thread"), 1) << FramesText(frames);
}

// libgomp keeps its pool for the next parallel region and never joins it (a
// default suppression silences it: --no-default-suppressions shows it). With
// OMP_WAIT_POLICY unset the worker spins for a while (a few ms; far less when there
// are fewer CPUs than threads) before it futex-waits: either is right. The fixture
// waits 50 ms before returning, so futex-waiting is what is usually seen.
TEST_F(RealLibraryTest, OpenMpPoolWorkerOutlivesMainInsideLibgomp) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunFixture("openmp_pool", {"--no-default-suppressions"});
  ASSERT_NO_FATAL_FAILURE(ExpectReportOf(run, {"build/fixtures/openmp_pool"}, kLeakExitCode));
  const json leak = ExpectOneGompWorker(run);
  const std::string state = GetString(leak, "/state");
  if (state == "blocked") {
    ExpectBlockedInGompFutex(leak);
  } else {
    ExpectRunningInGomp(leak);
  }
}

/// `threadleak run` of openmp_pool with OMP_WAIT_POLICY=`policy` in its environment.
RunResult RunOpenMpPool(const char *policy) {
  setenv("OMP_WAIT_POLICY", policy, 1);
  RunResult run = RunFixture("openmp_pool", {"--no-default-suppressions"});
  unsetenv("OMP_WAIT_POLICY");
  return run;
}

// OMP_WAIT_POLICY=passive: the worker does not spin, it futex-waits at once.
TEST_F(RealLibraryTest, OpenMpPassiveWorkerIsBlockedInLibgompFutex) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunOpenMpPool("passive");
  ASSERT_NO_FATAL_FAILURE(ExpectReportOf(run, {"build/fixtures/openmp_pool"}, kLeakExitCode));
  const json leak = ExpectOneGompWorker(run);
  ExpectBlockedInGompFutex(leak);
}

// OMP_WAIT_POLICY=active: the worker spins for minutes, so it is running, with no
// syscall, when main returns. libgomp spins briefly only when it has more threads
// than CPUs, so this needs 2 CPUs.
TEST_F(RealLibraryTest, OpenMpActiveWorkerIsRunningInLibgomp) {
  SKIP_UNLESS_ROOT();
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (sched_getaffinity(0, sizeof cpus, &cpus) != 0 || CPU_COUNT(&cpus) < 2)
    GTEST_SKIP() << "needs 2 CPUs: with fewer, libgomp futex-waits after a short spin";
  const RunResult run = RunOpenMpPool("active");
  ASSERT_NO_FATAL_FAILURE(ExpectReportOf(run, {"build/fixtures/openmp_pool"}, kLeakExitCode));
  const json leak = ExpectOneGompWorker(run);
  ExpectRunningInGomp(leak);
}

// --- librdkafka -----------------------------------------------------------------

// rd_kafka_new() starts "rdk:main" itself, then one broker thread for the internal
// broker and one for the bootstrap broker 127.0.0.1:9 (both named "rdk:broker-1":
// their node id is still unknown). All three are created by open_producer's
// rd_kafka_new() call.
TEST_F(RealLibraryTest, RdKafkaProducerNeverDestroyedLeaksMainAndBrokerThreads) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunFixture("rdkafka_producer_leak");
  ASSERT_NO_FATAL_FAILURE(
      ExpectReportOf(run, {"build/fixtures/rdkafka_producer_leak"}, kLeakExitCode));
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 3) << run.Describe();

  const long new_line = LineOf("rdkafka_producer_leak.c", "rd_kafka_new(RD_KAFKA_PRODUCER");
  ASSERT_GT(new_line, 0);
  int main_threads = 0, broker_threads = 0;
  for (const auto &leak : Get(run.report, "/leaks")) {
    SCOPED_TRACE(GetString(leak, "/comm"));
    ExpectUnjoinedFromMainThread(run, leak);
    for (const auto &name : Get(leak, "/thread_names")) {
      const std::string text = name.get<std::string>();
      if (text == "rdk:main") ++main_threads;
      else if (text.starts_with("rdk:broker")) ++broker_threads;
      else ADD_FAILURE() << "unexpected thread " << text << "\n" << leak.dump(2);
    }

    const json created = Get(leak, "/created_by/frames");
    const int create = IndexOfFunction(created, "pthread_create");
    const int kafka_new = IndexOfFunction(created, "rd_kafka_new");
    const int open_producer = IndexOfFunction(created, "open_producer");
    const int main_frame = IndexOfFunction(created, "main");
    ASSERT_GE(create, 0) << FramesText(created) << run.Describe();
    ASSERT_GT(kafka_new, create) << FramesText(created) << run.Describe();
    EXPECT_EQ(open_producer, kafka_new + 1) << FramesText(created);
    EXPECT_EQ(main_frame, open_producer + 1) << FramesText(created);
    EXPECT_TRUE(ModuleIs(created[kafka_new], "/librdkafka.so")) << FramesText(created);
    for (int i = create + 1; i < kafka_new; ++i) {  // thrd_create (libc), then librdkafka
      EXPECT_TRUE(ModuleIs(created[i], "/librdkafka.so") || ModuleIs(created[i], "/libc.so"))
          << "frame #" << i << "\n" << FramesText(created);
    }
    if (GetString(leak, "/comm") == "rdk:main") {
      EXPECT_EQ(Get(leak, "/thread_names").size(), 1u) << leak.dump(2);
    }
    if (open_producer >= 0) {
      EXPECT_EQ(GetInt(created[open_producer], "/line"), new_line) << created[open_producer].dump(2);
    }

    // Wherever each thread is, it is inside librdkafka's thread, under start_thread.
    const bool blocked = GetString(leak, "/state") == "blocked";
    const json frames = blocked ? BlockedFrames(leak) : Get(leak, "/running_frames");
    ASSERT_FALSE(frames.empty()) << leak.dump(2);
    EXPECT_TRUE(HasFrameIn(frames, "/librdkafka.so")) << FramesText(frames);
    EXPECT_GE(IndexOfFunction(frames, "start_thread"), 1) << FramesText(frames);
    if (blocked) {
      EXPECT_TRUE(FollowsSyscallInstruction(frames[0])) << FramesText(frames);
    }
  }
  EXPECT_EQ(main_threads, 1) << run.Describe();
  EXPECT_EQ(broker_threads, 2) << run.Describe();
}

TEST_F(RealLibraryTest, RdKafkaProducerDestroyedLeaksNothing) {
  SKIP_UNLESS_ROOT();
  const std::vector<std::string> command{"build/fixtures/rdkafka_producer_leak", "--clean"};
  const RunResult run = RunCommand(command);
  ASSERT_NO_FATAL_FAILURE(ExpectReportOf(run, command, 0));
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 0) << run.Describe();
  EXPECT_TRUE(Get(run.report, "/leaks").empty()) << run.Describe();
}

}  // namespace
