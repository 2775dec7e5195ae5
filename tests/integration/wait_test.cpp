// Integration tests for what each leaked thread waits for (issue 16): the fixtures
// in tests/fixtures/waits/ each leave threads in one kind of wait, and the JSON
// report must say, for the thread a user looks up by name, what it waits on (a
// condition variable, a mutex and who holds it, a thread it joins, a pipe, ...),
// whether anything can still end that wait (kind "parked" or "deadlock" vs.
// "unjoined" for a wait with a timeout), and, for a lock-order deadlock, the cycle.
// The contract is the wait/deadlock part of the LEAK in docs/json-schema.md.
// The thread's creation site and blocking syscall are checked too, so a failure
// shows which thread the report is about. Need root (BPF). Harness: run_harness.h.
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "run_harness.h"

namespace {

using namespace threadleak_test;

/// One leaked thread looked up by its name: the group holding it and its tid.
struct NamedThread {
  json leak;  // null when no leak has a thread of that name
  long tid = -1;
};

/// The thread named `name` among the report's leaks.
NamedThread FindThread(const json &report, const std::string &name) {
  for (const auto &leak : Get(report, "/leaks")) {
    const json names = Get(leak, "/thread_names"), tids = Get(leak, "/tids");
    for (size_t i = 0; i < names.size() && i < tids.size(); ++i)
      if (names[i] == name && tids[i].is_number_integer()) return {leak, tids[i].get<long>()};
  }
  return {};
}

/// The report's deadlocks ([] when it has none, or no such key).
json Deadlocks(const json &report) {
  const json deadlocks = Get(report, "/deadlocks");
  return deadlocks.is_null() ? json::array() : deadlocks;
}

std::set<long> TidSet(const json &tids) {
  std::set<long> set;
  if (tids.is_array())
    for (const auto &tid : tids)
      if (tid.is_number_integer()) set.insert(tid.get<long>());
  return set;
}

/// "0x" and at least one hex digit, nothing else.
bool IsHexString(const json &value) {
  static const std::regex hex("0x[0-9a-fA-F]+");
  return value.is_string() && std::regex_match(value.get<std::string>(), hex);
}

class WaitTest : public RunTest {
 protected:
  static std::string Fixture(const std::string &name) { return "waits/" + name; }

  /// `threadleak run --format json -- build/fixtures/waits/NAME`, checked well formed.
  static RunResult Run(const std::string &name) {
    RunResult run = RunFixture(Fixture(name));
    EXPECT_NE(run.out.find("ready"), std::string::npos)
        << "the fixture did not get as far as its waits\n" << run.Describe();
    return run;
  }

  /// The leaked thread `name`, with what every wait description must hold: a
  /// "wait" object with a kind, whether it is timed and a readable phrase; the
  /// thread blocked in `syscall`; created by a frame of function `creator`.
  static NamedThread Leaked(const RunResult &run, const std::string &name,
                            const std::string &syscall, const std::string &creator) {
    const NamedThread thread = FindThread(run.report, name);
    EXPECT_TRUE(thread.leak.is_object()) << "no leaked thread named " << name << "\n" << run.Describe();
    if (!thread.leak.is_object()) return thread;
    const json &leak = thread.leak;
    EXPECT_EQ(GetString(leak, "/state"), "blocked") << name << "\n" << leak.dump(2);
    EXPECT_EQ(GetString(leak, "/blocked_in/syscall"), syscall) << name << "\n" << leak.dump(2);
    EXPECT_TRUE(FramesContain(Get(leak, "/created_by/frames"), creator))
        << name << " is not created by " << creator << "\n" << leak.dump(2);
    EXPECT_TRUE(Get(leak, "/wait").is_object()) << name << " has no wait\n" << leak.dump(2);
    EXPECT_FALSE(GetString(leak, "/wait/kind").empty()) << leak.dump(2);
    EXPECT_TRUE(Get(leak, "/wait/timed").is_boolean()) << leak.dump(2);
    EXPECT_FALSE(GetString(leak, "/wait/text").empty()) << name << ": no readable phrase\n" << leak.dump(2);
    return thread;
  }

  /// Kind "parked" (a wait with no timeout that nothing will end) in a wait of `wait_kind`.
  static void ExpectParkedIn(const NamedThread &thread, const std::string &wait_kind) {
    const json &leak = thread.leak;
    EXPECT_EQ(GetString(leak, "/kind"), "parked") << leak.dump(2);
    EXPECT_EQ(GetString(leak, "/wait/kind"), wait_kind) << leak.dump(2);
    EXPECT_EQ(Get(leak, "/wait/timed"), false) << leak.dump(2);
  }

  /// A thread that waits on no one else: no chain and no deadlock.
  static void ExpectNoChain(const NamedThread &thread) {
    EXPECT_FALSE(Get(thread.leak, "/waits_for_tid").is_number()) << thread.leak.dump(2);
    EXPECT_FALSE(Get(thread.leak, "/deadlock").is_object()) << thread.leak.dump(2);
  }

  static void ExpectNoDeadlocks(const RunResult &run) {
    EXPECT_TRUE(Deadlocks(run.report).empty()) << run.Describe();
  }

  /// A sync object's wait names the object by its futex address.
  static void ExpectObjectAddress(const NamedThread &thread) {
    EXPECT_TRUE(IsHexString(Get(thread.leak, "/wait/object")))
        << "wait.object is not a hex address\n" << thread.leak.dump(2);
  }

  /// The members of a lock-order deadlock, `ring[i]` waiting for a mutex held by
  /// `ring[(i + 1) % n]`: each kind "deadlock" in a mutex wait whose owner is the
  /// next one, one top-level deadlocks[] entry with exactly their tids as cycle
  /// and one edge per member held by the next, each member's deadlock.cycle its index.
  static void ExpectDeadlockRing(const RunResult &run, const std::vector<NamedThread> &ring) {
    const std::string context = run.Describe();
    std::set<long> tids;
    std::map<long, long> next;  // tid -> tid of the thread holding the mutex it waits for
    for (size_t i = 0; i < ring.size(); ++i) {
      tids.insert(ring[i].tid);
      next[ring[i].tid] = ring[(i + 1) % ring.size()].tid;
    }
    ASSERT_EQ(tids.size(), ring.size()) << context;

    const json deadlocks = Deadlocks(run.report);
    ASSERT_EQ(deadlocks.size(), 1u) << "expected one deadlock\n" << context;
    const json &entry = deadlocks[0];
    EXPECT_EQ(GetInt(entry, "/pid"), GetInt(ring[0].leak, "/pid")) << context;
    EXPECT_EQ(Get(entry, "/cycle").size(), ring.size()) << entry.dump(2);
    EXPECT_EQ(TidSet(Get(entry, "/cycle")), tids) << entry.dump(2);
    const json edges = Get(entry, "/edges");
    ASSERT_TRUE(edges.is_array()) << entry.dump(2);
    EXPECT_EQ(edges.size(), ring.size()) << entry.dump(2);
    std::set<long> waiters;
    for (const auto &edge : edges) {
      const long tid = GetInt(edge, "/tid");
      waiters.insert(tid);
      ASSERT_TRUE(next.contains(tid)) << "an edge from a thread outside the ring\n" << entry.dump(2);
      EXPECT_EQ(GetInt(edge, "/held_by"), next[tid]) << edge.dump();
      EXPECT_TRUE(GetString(edge, "/waits_for").starts_with("mutex 0x")) << edge.dump();
    }
    EXPECT_EQ(waiters, tids) << entry.dump(2);

    for (const NamedThread &member : ring) {
      const json &leak = member.leak;
      EXPECT_EQ(GetString(leak, "/kind"), "deadlock") << leak.dump(2);
      EXPECT_EQ(GetString(leak, "/wait/kind"), "mutex") << leak.dump(2);
      EXPECT_EQ(Get(leak, "/wait/timed"), false) << leak.dump(2);
      ExpectObjectAddress(member);
      EXPECT_EQ(GetInt(leak, "/deadlock/cycle"), 0) << "deadlock.cycle is not deadlocks[0]\n" << leak.dump(2);
      // A group holds the member's tid only: members wait on different mutexes.
      EXPECT_EQ(TidSet(Get(leak, "/tids")), std::set<long>{member.tid}) << leak.dump(2);
      EXPECT_EQ(GetInt(leak, "/wait/owner_tid"), next[member.tid]) << leak.dump(2);
      EXPECT_EQ(GetInt(leak, "/waits_for_tid"), next[member.tid]) << leak.dump(2);
    }
  }
};

TEST_F(WaitTest, CondvarNobodySignalsIsParkedOnItsFutex) {
  SKIP_UNLESS_ROOT();
  const RunResult run = Run("condvar_never_signalled");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, Fixture("condvar_never_signalled")));
  SingleLeak(run);
  const NamedThread waiter = Leaked(run, "cv-waiter", "futex", "start_cv_waiter");
  ASSERT_TRUE(waiter.leak.is_object());
  ExpectParkedIn(waiter, "condvar");
  ExpectObjectAddress(waiter);
  const json wakes = Get(waiter.leak, "/wait/wakes_sent");
  EXPECT_TRUE(wakes.is_null() || wakes == 0) << "nobody signalled it\n" << waiter.leak.dump(2);
  EXPECT_FALSE(Get(waiter.leak, "/wait/last_waker_tid").is_number()) << waiter.leak.dump(2);
  EXPECT_TRUE(FramesContain(BlockedFrames(waiter.leak), "pthread_cond_wait")) << waiter.leak.dump(2);
  ExpectNoChain(waiter);
  ExpectNoDeadlocks(run);
  EXPECT_EQ(GetInt(run.report, "/exit_code"), 0) << run.Describe();
}

TEST_F(WaitTest, CondvarSignalledOnceLeavesOnlyTheOtherWaiter) {
  SKIP_UNLESS_ROOT();
  const RunResult run = Run("condvar_other_waiter");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, Fixture("condvar_other_waiter")));
  const json leak = SingleLeak(run);
  EXPECT_EQ(Get(leak, "/thread_names"), json::array({"cv-unlucky"})) << run.Describe();
  EXPECT_FALSE(FindThread(run.report, "cv-lucky").leak.is_object())
      << "the woken waiter was joined\n" << run.Describe();
  const NamedThread unlucky = Leaked(run, "cv-unlucky", "futex", "start_cv_waiters");
  ASSERT_TRUE(unlucky.leak.is_object());
  ExpectParkedIn(unlucky, "condvar");
  ExpectObjectAddress(unlucky);
  ExpectNoChain(unlucky);
  ExpectNoDeadlocks(run);
}

TEST_F(WaitTest, MutexWaiterPointsAtTheParkedHolder) {
  SKIP_UNLESS_ROOT();
  const std::string dir = MakeTempDir();
  const std::string json_path = dir + "/report.json", text_path = dir + "/report.txt";
  RunResult run = RunThreadleak({"run", "-o", json_path, "-o", text_path, "--",
                                 "build/fixtures/" + Fixture("mutex_chain")});
  ReadReport(json_path, &run);
  std::ifstream text_in(text_path);
  const std::string text{std::istreambuf_iterator<char>(text_in), {}};
  fs::remove_all(dir);
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, Fixture("mutex_chain")));
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 2) << run.Describe();

  const NamedThread holder = Leaked(run, "holder", "futex", "start_holder");
  const NamedThread blocked = Leaked(run, "blocked-on-m", "futex", "start_blocked_on_m");
  ASSERT_TRUE(holder.leak.is_object() && blocked.leak.is_object());
  ExpectParkedIn(holder, "condvar");
  ExpectNoChain(holder);

  ExpectParkedIn(blocked, "mutex");
  ExpectObjectAddress(blocked);
  EXPECT_TRUE(FramesContain(BlockedFrames(blocked.leak), "blocked_on_m_main")) << blocked.leak.dump(2);
  EXPECT_EQ(GetInt(blocked.leak, "/wait/owner_tid"), holder.tid) << blocked.leak.dump(2);
  EXPECT_EQ(GetInt(blocked.leak, "/waits_for_tid"), holder.tid) << blocked.leak.dump(2);
  if (Get(blocked.leak, "/wait").contains("owner_state")) {
    EXPECT_EQ(GetString(blocked.leak, "/wait/owner_state"), "parked") << blocked.leak.dump(2);
  }
  ExpectNoDeadlocks(run);

  // blocked-on-m is the older thread (lower tid), yet the text names the chain's
  // root first: the holder is what a user has to fix.
  const size_t holder_at = text.find("holder"), blocked_at = text.find("blocked-on-m");
  ASSERT_NE(holder_at, std::string::npos) << text;
  ASSERT_NE(blocked_at, std::string::npos) << text;
  EXPECT_LT(holder_at, blocked_at) << "the text report should name holder first\n" << text;
}

TEST_F(WaitTest, TwoThreadLockOrderDeadlockIsOneCycle) {
  SKIP_UNLESS_ROOT();
  const RunResult run = Run("deadlock2");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, Fixture("deadlock2")));
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 2) << run.Describe();
  const NamedThread a = Leaked(run, "dl-a", "futex", "start_dl_a");
  const NamedThread b = Leaked(run, "dl-b", "futex", "start_dl_b");
  ASSERT_TRUE(a.leak.is_object() && b.leak.is_object());
  EXPECT_TRUE(FramesContain(BlockedFrames(a.leak), "lock_in_order")) << a.leak.dump(2);
  ExpectDeadlockRing(run, {a, b});
}

TEST_F(WaitTest, ThreeThreadRingDeadlockIsOneCycleOfThree) {
  SKIP_UNLESS_ROOT();
  const RunResult run = Run("deadlock3");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, Fixture("deadlock3")));
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 3) << run.Describe();
  std::vector<NamedThread> ring;
  for (const char *name : {"ring-0", "ring-1", "ring-2"}) {
    ring.push_back(Leaked(run, name, "futex", "start_ring"));
    ASSERT_TRUE(ring.back().leak.is_object());
  }
  ExpectDeadlockRing(run, ring);
}

TEST_F(WaitTest, JoinOfAParkedThreadPointsAtIt) {
  SKIP_UNLESS_ROOT();
  const RunResult run = Run("join_parked");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, Fixture("join_parked")));
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 2) << run.Describe();
  const NamedThread parked = Leaked(run, "parked", "futex", "start_parked");
  const NamedThread joiner = Leaked(run, "joiner", "futex", "start_joiner");
  ASSERT_TRUE(parked.leak.is_object() && joiner.leak.is_object());
  ExpectParkedIn(parked, "condvar");
  ExpectNoChain(parked);
  ExpectParkedIn(joiner, "join");
  EXPECT_TRUE(FramesContain(BlockedFrames(joiner.leak), "joiner_main")) << joiner.leak.dump(2);
  EXPECT_EQ(GetInt(joiner.leak, "/wait/joins_tid"), parked.tid) << joiner.leak.dump(2);
  EXPECT_EQ(GetInt(joiner.leak, "/waits_for_tid"), parked.tid) << joiner.leak.dump(2);
  ExpectNoDeadlocks(run);
}

TEST_F(WaitTest, PipeReadNamesTheDescriptorAndItsWriters) {
  SKIP_UNLESS_ROOT();
  const RunResult run = Run("pipe_read");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, Fixture("pipe_read")));
  std::smatch ready;
  ASSERT_TRUE(std::regex_search(run.out, ready, std::regex("ready fd=([0-9]+)")))
      << "the fixture did not print its read end\n" << run.Describe();
  const long fd = std::stol(ready[1]);
  SingleLeak(run);
  const NamedThread reader = Leaked(run, "pipe-reader", "read", "start_pipe_reader");
  ASSERT_TRUE(reader.leak.is_object());
  ExpectParkedIn(reader, "read");
  EXPECT_EQ(GetInt(reader.leak, "/wait/fd"), fd) << reader.leak.dump(2);
  EXPECT_EQ(GetString(reader.leak, "/wait/fd_kind"), "pipe") << reader.leak.dump(2);
  EXPECT_GE(GetInt(reader.leak, "/wait/pipe_writers"), 1)
      << "main holds the write end open\n" << reader.leak.dump(2);
  ExpectNoChain(reader);
}

TEST_F(WaitTest, EpollWaitOnAnEmptySetIsParked) {
  SKIP_UNLESS_ROOT();
  const RunResult run = Run("epoll_empty");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, Fixture("epoll_empty")));
  SingleLeak(run);
  const NamedThread epoller = Leaked(run, "epoller", "epoll_wait", "start_epoller");
  ASSERT_TRUE(epoller.leak.is_object());
  ExpectParkedIn(epoller, "epoll");
  EXPECT_EQ(Get(epoller.leak, "/wait/epoll_empty"), true) << epoller.leak.dump(2);
  EXPECT_NE(GetString(epoller.leak, "/wait/text").find("watches no descriptor"), std::string::npos)
      << epoller.leak.dump(2);
  ExpectNoChain(epoller);
}

TEST_F(WaitTest, SemWaitNobodyPostsIsASemaphoreWait) {
  SKIP_UNLESS_ROOT();
  const RunResult run = Run("semaphore");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, Fixture("semaphore")));
  SingleLeak(run);
  const NamedThread waiter = Leaked(run, "sem-waiter", "futex", "start_sem_waiter");
  ASSERT_TRUE(waiter.leak.is_object());
  ExpectParkedIn(waiter, "semaphore");
  ExpectObjectAddress(waiter);
  ExpectNoChain(waiter);
}

TEST_F(WaitTest, ReaderBehindAWriterIsAnRwlockWait) {
  SKIP_UNLESS_ROOT();
  const RunResult run = Run("rwlock_writer");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, Fixture("rwlock_writer")));
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 2) << run.Describe();
  const NamedThread holder = Leaked(run, "rw-holder", "futex", "start_rw_holder");
  const NamedThread reader = Leaked(run, "rw-reader", "futex", "start_rw_reader");
  ASSERT_TRUE(holder.leak.is_object() && reader.leak.is_object());
  ExpectParkedIn(holder, "condvar");
  ExpectNoChain(holder);
  ExpectParkedIn(reader, "rwlock");
  ExpectObjectAddress(reader);
  EXPECT_TRUE(FramesContain(BlockedFrames(reader.leak), "pthread_rwlock_rdlock")) << reader.leak.dump(2);
  ExpectNoDeadlocks(run);
}

TEST_F(WaitTest, HourLongSleepIsATimedWaitNotParked) {
  SKIP_UNLESS_ROOT();
  const RunResult run = Run("timed_sleep");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, Fixture("timed_sleep")));
  SingleLeak(run);
  const NamedThread sleeper = Leaked(run, "sleeper", "clock_nanosleep", "start_sleeper");
  ASSERT_TRUE(sleeper.leak.is_object());
  // A wait with a timeout ends by itself: "unjoined", neither parked nor deadlocked.
  EXPECT_EQ(GetString(sleeper.leak, "/kind"), "unjoined") << sleeper.leak.dump(2);
  EXPECT_EQ(GetString(sleeper.leak, "/wait/kind"), "sleep") << sleeper.leak.dump(2);
  EXPECT_EQ(Get(sleeper.leak, "/wait/timed"), true) << sleeper.leak.dump(2);
  EXPECT_EQ(GetInt(sleeper.leak, "/blocked_in/timeout_ns"), 3600L * 1000 * 1000 * 1000) << sleeper.leak.dump(2);
  ExpectNoChain(sleeper);
  ExpectNoDeadlocks(run);
}

TEST_F(WaitTest, WaiterSignalledAndJoinedLeavesNothing) {
  SKIP_UNLESS_ROOT();
  ExpectNoLeaks(Fixture("woken_and_joined"), 0);
}

// ---- --track-wakes: whether any futex wake reached the waited address ----

/// True when tracefs is mounted at /sys/kernel/tracing (per /proc/self/mounts).
bool TracefsMounted() {
  std::ifstream in("/proc/self/mounts");
  for (std::string line; std::getline(in, line);)
    if (line.find(" /sys/kernel/tracing tracefs ") != std::string::npos) return true;
  return false;
}

class WakeTest : public WaitTest {
 protected:
  static RunResult RunTracked(const std::string &name) {
    RunResult run = RunFixture(Fixture(name), {"--track-wakes"});
    EXPECT_NE(run.out.find("ready"), std::string::npos) << run.Describe();
    return run;
  }
};

TEST_F(WakeTest, ACondvarNobodySignalsGotNoWake) {
  SKIP_UNLESS_ROOT();
  const bool mounted_before = TracefsMounted();
  const RunResult run = RunTracked("condvar_never_signalled");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, Fixture("condvar_never_signalled")));
  EXPECT_EQ(Get(run.report, "/wakes_tracked"), true) << run.Describe();
  const NamedThread waiter = Leaked(run, "cv-waiter", "futex", "start_cv_waiter");
  ASSERT_TRUE(waiter.leak.is_object());
  EXPECT_EQ(Get(waiter.leak, "/wait/wakes_sent"), 0) << waiter.leak.dump(2);
  EXPECT_TRUE(Get(waiter.leak, "/wait/last_waker_tid").is_null()) << waiter.leak.dump(2);
  EXPECT_NE(GetString(waiter.leak, "/wait/text").find("no wake was ever sent to it"), std::string::npos)
      << waiter.leak.dump(2);
  EXPECT_EQ(TracefsMounted(), mounted_before) << "tracefs was left as it was found";
}

TEST_F(WakeTest, TheWaiterASignalPassedByWasSentOneWakeByMain) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunTracked("condvar_other_waiter");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, Fixture("condvar_other_waiter")));
  const NamedThread unlucky = Leaked(run, "cv-unlucky", "futex", "start_cv_waiters");
  ASSERT_TRUE(unlucky.leak.is_object());
  const long main_tid = GetInt(run.report, "/processes/0/pid");
  // One pthread_cond_signal: one FUTEX_WAKE on the futex both waiters slept on.
  EXPECT_EQ(Get(unlucky.leak, "/wait/wakes_sent"), 1) << unlucky.leak.dump(2);
  EXPECT_EQ(GetInt(unlucky.leak, "/wait/last_waker_tid"), main_tid) << unlucky.leak.dump(2);
}

TEST_F(WakeTest, WithoutTheFlagWakesAreNotKnownRatherThanZero) {
  SKIP_UNLESS_ROOT();
  const RunResult run = Run("condvar_never_signalled");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, Fixture("condvar_never_signalled")));
  EXPECT_EQ(Get(run.report, "/wakes_tracked"), false) << run.Describe();
  const NamedThread waiter = Leaked(run, "cv-waiter", "futex", "start_cv_waiter");
  ASSERT_TRUE(waiter.leak.is_object());
  EXPECT_TRUE(Get(waiter.leak, "/wait/wakes_sent").is_null()) << waiter.leak.dump(2);
}

TEST_F(WakeTest, AMutexWaiterStaysPointedAtItsHolderWithWakesTracked) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunTracked("deadlock2");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, Fixture("deadlock2")));
  ASSERT_EQ(Deadlocks(run.report).size(), 1u) << run.Describe();
  EXPECT_EQ(TidSet(Get(Deadlocks(run.report)[0], "/cycle")).size(), 2u) << run.Describe();
}


TEST_F(WaitTest, ATimerfdHeartbeatTicksAtItsIntervalAndAnUnarmedOneIsParked) {
  SKIP_UNLESS_ROOT();
  const RunResult run = Run("timerfd_heartbeat");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, Fixture("timerfd_heartbeat")));
  EXPECT_EQ(run.exit_code, kLeakExitCode) << run.Describe();
  const NamedThread heartbeat = Leaked(run, "heartbeat", "read", "start_timers");
  ASSERT_TRUE(heartbeat.leak.is_object());
  EXPECT_EQ(GetString(heartbeat.leak, "/kind"), "ticking") << heartbeat.leak.dump(2);
  EXPECT_EQ(GetString(heartbeat.leak, "/wait/kind"), "timerfd") << heartbeat.leak.dump(2);
  EXPECT_EQ(GetString(heartbeat.leak, "/wait/fd_kind"), "timerfd") << heartbeat.leak.dump(2);
  EXPECT_EQ(GetInt(heartbeat.leak, "/wait/timer_interval_ns"), 50'000'000) << heartbeat.leak.dump(2);
  EXPECT_EQ(GetInt(heartbeat.leak, "/wait/period_ns"), 50'000'000) << "the period as configured\n"
                                                                    << heartbeat.leak.dump(2);
  const NamedThread idle = Leaked(run, "oneshot-wait", "read", "start_timers");
  ASSERT_TRUE(idle.leak.is_object());
  EXPECT_EQ(GetString(idle.leak, "/kind"), "parked") << idle.leak.dump(2);
  EXPECT_EQ(GetInt(idle.leak, "/wait/timer_interval_ns"), 0) << idle.leak.dump(2);
  EXPECT_TRUE(Get(idle.leak, "/wait/period_ns").is_null()) << idle.leak.dump(2);
}


// ---- timerfds left open at exit ----

TEST_F(WaitTest, ATimerfdNobodyClosedIsALeakedTimerWithItsCreationSite) {
  SKIP_UNLESS_ROOT();
  const RunResult run = Run("timer_leak");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, Fixture("timer_leak")));
  EXPECT_EQ(run.exit_code, kLeakExitCode) << "a timer is the only leak\n" << run.Describe();
  EXPECT_EQ(GetInt(run.report, "/leaked_threads"), 0) << run.Describe();
  const json timers = Get(run.report, "/timers");
  ASSERT_TRUE(timers.is_array()) << run.Describe();
  ASSERT_EQ(timers.size(), 1u) << "the closed timers are no leak\n" << run.Describe();
  const json &t = timers[0];
  const std::smatch fd = [&] {
    std::smatch m;
    static const std::regex ready("ready fd=([0-9]+)");
    std::regex_search(run.out, m, ready);
    return m;
  }();
  ASSERT_EQ(fd.size(), 2u) << run.out;
  EXPECT_EQ(Get(t, "/fds"), json::array({std::stol(fd[1])})) << t.dump(2);
  EXPECT_EQ(GetInt(t, "/count"), 1) << t.dump(2);
  EXPECT_EQ(GetInt(t, "/created"), 1) << t.dump(2);
  EXPECT_EQ(GetInt(t, "/closed"), 0) << t.dump(2);
  EXPECT_EQ(GetInt(t, "/interval_ns"), 50'000'000) << t.dump(2);
  EXPECT_EQ(Get(t, "/armed"), true) << t.dump(2);
  EXPECT_EQ(GetInt(t, "/pid"), GetInt(run.report, "/processes/0/pid")) << t.dump(2);
  EXPECT_TRUE(FramesContain(Get(t, "/created_by/frames"), "start_heartbeat_timer")) << t.dump(2);
  EXPECT_FALSE(FramesContain(Get(t, "/created_by/frames"), "use_and_close_timer")) << t.dump(2);
}

TEST_F(WaitTest, TimersClosedBeforeExitAreNoLeak) {
  SKIP_UNLESS_ROOT();
  const RunResult run = Run("timer_closed");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, Fixture("timer_closed")));
  EXPECT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_EQ(Get(run.report, "/timers"), json::array()) << run.Describe();
}

}  // namespace

namespace {

/// "server=S client=C listen=L" from the fixture's ready line.
std::map<std::string, long> Ports(const std::string &out) {
  std::map<std::string, long> ports;
  static const std::regex port("(server|client|listen)=([0-9]+)");
  for (std::sregex_iterator it(out.begin(), out.end(), port), end; it != end; ++it)
    ports[(*it)[1]] = std::stol((*it)[2]);
  return ports;
}

/// The socket facts each thread of socket_read must show, at exit or live.
void ExpectSocketEnds(const RunResult &run, const std::string &kind_of_leak) {
  const std::map<std::string, long> ports = Ports(run.out);
  ASSERT_EQ(ports.size(), 3u) << run.out;
  const NamedThread reader = FindThread(run.report, "sock-reader");
  ASSERT_TRUE(reader.leak.is_object()) << run.Describe();
  const json &leak = reader.leak;
  EXPECT_EQ(GetString(leak, "/kind"), kind_of_leak) << leak.dump(2);
  EXPECT_EQ(GetString(leak, "/wait/kind"), "read") << leak.dump(2);
  EXPECT_EQ(GetString(leak, "/wait/socket/family"), "inet") << leak.dump(2);
  EXPECT_EQ(GetString(leak, "/wait/socket/local"), "127.0.0.1:" + std::to_string(ports.at("client"))) << leak.dump(2);
  EXPECT_EQ(GetString(leak, "/wait/socket/remote"), "127.0.0.1:" + std::to_string(ports.at("server")))
      << leak.dump(2);
  EXPECT_EQ(GetString(leak, "/wait/socket/state"), "established") << leak.dump(2);

  const NamedThread acceptor = FindThread(run.report, "acceptor");
  ASSERT_TRUE(acceptor.leak.is_object()) << run.Describe();
  EXPECT_EQ(GetString(acceptor.leak, "/wait/kind"), "accept") << acceptor.leak.dump(2);
  EXPECT_EQ(GetString(acceptor.leak, "/wait/socket/local"), "127.0.0.1:" + std::to_string(ports.at("listen")))
      << acceptor.leak.dump(2);
  EXPECT_EQ(GetString(acceptor.leak, "/wait/socket/state"), "listen") << acceptor.leak.dump(2);
  EXPECT_TRUE(Get(acceptor.leak, "/wait/socket/remote").is_null()) << acceptor.leak.dump(2);
}

TEST_F(WaitTest, SocketWaitsNameBothEndsAtExit) {
  SKIP_UNLESS_ROOT();
  const RunResult run = Run("socket_read");
  ASSERT_NO_FATAL_FAILURE(ExpectWellFormed(run, Fixture("socket_read")));
  ExpectSocketEnds(run, "parked");
}

TEST_F(WaitTest, SocketWaitsNameBothEndsInALiveProcess) {
  SKIP_UNLESS_ROOT();
  const RunResult run = RunCommand({"build/fixtures/" + Fixture("socket_read"), "30"}, {"--timeout", "1s"});
  EXPECT_EQ(run.exit_code, 124) << run.Describe();
  ExpectSocketEnds(run, "hung");
}

}  // namespace

namespace {

/// The leak whose comm is `comm`, or null.
json LeakOfComm(const json &report, const std::string &comm) {
  for (const auto &leak : Get(report, "/leaks"))
    if (GetString(leak, "/comm") == comm) return leak;
  return json();
}

TEST_F(WaitTest, APipeReaderNamesTheProcessHoldingTheWriteEnd) {
  SKIP_UNLESS_ROOT();
  // `cat` reads the pipe that `sleep` holds the write end of and never writes.
  const RunResult run = RunCommand({"/bin/sh", "-c", "sleep 30 | cat"}, {"--timeout", "1s"});
  EXPECT_EQ(run.exit_code, 124) << run.Describe();
  const json cat = LeakOfComm(run.report, "cat"), sleeper = LeakOfComm(run.report, "sleep");
  ASSERT_TRUE(cat.is_object() && sleeper.is_object()) << run.Describe();
  EXPECT_EQ(GetString(cat, "/wait/kind"), "read") << cat.dump(2);
  EXPECT_EQ(GetInt(cat, "/wait/fd"), 0) << cat.dump(2);
  EXPECT_EQ(Get(cat, "/wait/pipe_peers"), json::array({json{{"pid", GetInt(sleeper, "/pid")}, {"fd", 1}}}))
      << cat.dump(2);
}

}  // namespace
