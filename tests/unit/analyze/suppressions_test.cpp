// Unit tests for userspace/analyze/suppressions.cpp and default_suppressions.cpp:
// matching each condition, rule files (good and bad lines), per-rule counts.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "analyze/default_suppressions.h"
#include "analyze/suppressions.h"
#include "common/errors.h"

namespace threadleak {
namespace {

Frame frame(const std::string& module, std::optional<std::string> function = std::nullopt) {
    Frame f;
    f.module = module;
    f.function = std::move(function);
    return f;
}

constexpr const char* kLibc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
constexpr const char* kJvm = "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so";

/// A thread parked in a condvar from `waiter`, created by pthread_create from `creator`.
LeakedThread thread_of(const std::string& name, std::vector<Frame> creator, std::vector<Frame> waiter) {
    LeakedThread t;
    t.thread = ThreadIdentity{100, "/bin/app", 101, name, 100};
    t.created_by = {frame(kLibc, "__clone3"), frame(kLibc, "pthread_create")};
    t.created_by.insert(t.created_by.end(), creator.begin(), creator.end());
    t.state = ThreadState::Blocked;
    BlockedIn b;
    b.syscall = "futex";
    b.frames = {frame(kLibc, "__futex_abstimed_wait_common"), frame(kLibc, "pthread_cond_wait")};
    b.frames.insert(b.frames.end(), waiter.begin(), waiter.end());
    t.blocked_in = b;
    return t;
}

LeakedThread jvm_gc_thread() {
    return thread_of("GC Thread#0", {frame(kJvm, "os::create_thread(Thread*, os::ThreadType, unsigned long)"),
                                     frame(kJvm, "WorkGang::initialize_workers()")},
                     {frame(kJvm, "PosixSemaphore::wait()"), frame(kJvm, "GangWorker::loop()")});
}

LeakedThread java_app_thread() {
    return thread_of("queue-consumer", {frame(kJvm, "os::create_thread(Thread*, os::ThreadType, unsigned long)"),
                                        frame(kJvm, "JVM_StartThread"), frame("[unknown]")},
                     {frame(kJvm, "Parker::park(bool, long)"), frame(kJvm, "Unsafe_Park"), frame("[unknown]")});
}

SuppressionRule rule(const std::string& text) {
    SuppressionRule r;
    std::string error;
    EXPECT_TRUE(parse_rule(text, &r, &error)) << text << ": " << error;
    return r;
}

std::string parse_error(const std::string& text) {
    SuppressionRule r;
    std::string error;
    EXPECT_FALSE(parse_rule(text, &r, &error)) << text;
    return error;
}

TEST(SuppressionsTest, IgnoreMatchesAFunctionOrModuleOfEitherStack) {
    const LeakedThread t = jvm_gc_thread();
    EXPECT_TRUE(rule_matches(rule("ignore GangWorker::*"), t));          // blocking stack
    EXPECT_TRUE(rule_matches(rule("ignore WorkGang::initialize*"), t));  // creation stack
    EXPECT_TRUE(rule_matches(rule("ignore libjvm.so"), t));              // module file name
    EXPECT_TRUE(rule_matches(rule("ignore /usr/lib/jvm/*"), t));         // module path
    EXPECT_FALSE(rule_matches(rule("ignore libgomp*"), t));
    EXPECT_FALSE(rule_matches(rule("ignore GangWorker"), t));  // a glob matches the whole name
}

TEST(SuppressionsTest, IgnoreTopIsTheInnermostFrameOutsideLibc) {
    const LeakedThread t = jvm_gc_thread();
    EXPECT_TRUE(rule_matches(rule("ignore-top PosixSemaphore::wait()"), t));
    EXPECT_FALSE(rule_matches(rule("ignore-top pthread_cond_wait"), t));  // libc: skipped
    EXPECT_FALSE(rule_matches(rule("ignore-top GangWorker::loop()"), t));  // not innermost
}

TEST(SuppressionsTest, IgnoreTopUsesTheRunningFramesOfABusyThread) {
    LeakedThread t = jvm_gc_thread();
    t.state = ThreadState::Running;
    t.blocked_in.reset();
    t.running_frames = {frame("/bin/app", "spin")};
    EXPECT_TRUE(rule_matches(rule("ignore-top spin"), t));
    EXPECT_TRUE(rule_matches(rule("ignore spin"), t));
}

TEST(SuppressionsTest, IgnoreCommMatchesTheThreadName) {
    const LeakedThread t = jvm_gc_thread();
    EXPECT_TRUE(rule_matches(rule("ignore-comm \"GC Thread#*\""), t));
    EXPECT_TRUE(rule_matches(rule("ignore-comm GC?Thread#[0-9]"), t));
    EXPECT_FALSE(rule_matches(rule("ignore-comm GC"), t));
}

TEST(SuppressionsTest, CreatedByLooksOnlyAtTheCreationStack) {
    const LeakedThread t = jvm_gc_thread();
    EXPECT_TRUE(rule_matches(rule("ignore-created-by WorkGang::*"), t));
    EXPECT_FALSE(rule_matches(rule("ignore-created-by GangWorker::loop()"), t));
}

TEST(SuppressionsTest, EveryConditionOfARuleMustHoldAndUnlessExcludes) {
    const SuppressionRule jvm = rule("ignore-created-by libjvm.so unless-created-by JVM_StartThread");
    EXPECT_TRUE(rule_matches(jvm, jvm_gc_thread()));
    EXPECT_FALSE(rule_matches(jvm, java_app_thread()));
    EXPECT_FALSE(rule_matches(rule("ignore-comm GC* ignore-top Unsafe_Park"), jvm_gc_thread()));
}

TEST(SuppressionsTest, RuleTextRoundTrips) {
    const std::string text = "ignore-comm \"GC Thread*\" unless-created-by JVM_StartThread";
    EXPECT_EQ(rule_text(rule(text)), text);
}

TEST(SuppressionsTest, BadRulesSayWhatIsWrong) {
    EXPECT_EQ(parse_error("ignore-everything foo"),
              "unknown keyword 'ignore-everything'; use ignore, ignore-top, ignore-comm, "
              "ignore-created-by or unless-created-by");
    EXPECT_EQ(parse_error("ignore-top"), "'ignore-top' needs a pattern");
    EXPECT_EQ(parse_error("ignore-comm \"unterminated"), "unterminated quote");
    EXPECT_EQ(parse_error("unless-created-by main"),
              "'unless-created-by' only narrows a rule; add an ignore condition");
}

class SuppressionsFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        char name[] = "/tmp/threadleak-supp-XXXXXX";
        const int fd = mkstemp(name);
        ASSERT_GE(fd, 0);
        close(fd);
        path_ = name;
    }
    void TearDown() override { std::remove(path_.c_str()); }
    void write(const std::string& text) { std::ofstream(path_) << text; }
    std::string path_;
};

TEST_F(SuppressionsFileTest, ReadsRulesSkippingCommentsAndBlankLines) {
    write("# JVM service threads\n\nignore-created-by libjvm.so  # the VM's own\n  ignore-comm worker-*\n");
    const auto rules = read_suppressions_file(path_);
    ASSERT_EQ(rules.size(), 2u);
    EXPECT_EQ(rule_text(rules[0]), "ignore-created-by libjvm.so");
    EXPECT_EQ(rules[0].source, path_ + ":3");
    EXPECT_EQ(rule_text(rules[1]), "ignore-comm worker-*");
    EXPECT_EQ(rules[1].source, path_ + ":4");
}

TEST_F(SuppressionsFileTest, BadLineNamesFileAndLineWithExit64) {
    write("ignore-comm ok\n# fine\nignore-thread foo\n");
    try {
        read_suppressions_file(path_);
        FAIL() << "no error for a bad line";
    } catch (const UserError& e) {
        EXPECT_EQ(e.exit_code(), exit_code::kUsage);
        EXPECT_EQ(std::string(e.what()),
                  "--suppressions " + path_ + ":3: unknown keyword 'ignore-thread'; use ignore, "
                  "ignore-top, ignore-comm, ignore-created-by or unless-created-by");
    }
}

TEST_F(SuppressionsFileTest, MissingFileIsAUsageError) {
    try {
        read_suppressions_file(path_ + ".missing");
        FAIL() << "no error for a missing file";
    } catch (const UserError& e) {
        EXPECT_EQ(e.exit_code(), exit_code::kUsage);
        EXPECT_EQ(std::string(e.what()),
                  "--suppressions '" + path_ + ".missing' cannot be read: No such file or directory");
    }
}

TEST(SuppressionsTest, EachThreadIsCountedUnderTheFirstRuleThatMatches) {
    std::vector<LeakedThread> threads = {jvm_gc_thread(), jvm_gc_thread(), java_app_thread()};
    threads[1].thread.tid = 102;
    SuppressionRule by_flag = flag_rule(MatchOn::Comm, "GC*");
    SuppressionRule unused = flag_rule(MatchOn::Comm, "nothing-is-named-this");
    SuppressionRule jvm = default_suppressions().front();
    const auto counts = apply_suppressions({by_flag, unused, jvm}, threads);
    ASSERT_EQ(threads.size(), 1u);
    EXPECT_EQ(threads[0].thread.name, "queue-consumer");  // the Java application thread stays
    ASSERT_EQ(counts.size(), 2u);  // a default rule that silenced nothing is not listed
    EXPECT_EQ(counts[0].rule, "ignore-comm GC*");
    EXPECT_EQ(counts[0].source, "flag");
    EXPECT_EQ(counts[0].count, 2u);
    EXPECT_EQ(counts[1].rule, "ignore-comm nothing-is-named-this");  // a user rule is, at 0
    EXPECT_EQ(counts[1].count, 0u);
}

TEST(SuppressionsTest, ThreadsAliveAtACrashAreContextAndKept) {
    std::vector<LeakedThread> threads = {jvm_gc_thread()};
    threads[0].kind = LeakKind::AliveAtCrash;
    apply_suppressions({flag_rule(MatchOn::Comm, "*")}, threads);
    EXPECT_EQ(threads.size(), 1u);
}

TEST(SuppressionsTest, EmptyFlagPatternIsAUsageError) {
    try {
        flag_rule(MatchOn::TopFrame, "");
        FAIL();
    } catch (const UserError& e) {
        EXPECT_EQ(std::string(e.what()), "--ignore-top needs a non-empty PATTERN");
    }
}

TEST(DefaultSuppressionsTest, EveryRuleParsesAndSaysWhy) {
    ASSERT_FALSE(default_suppressions().empty());
    for (const SuppressionRule& r : default_suppressions()) {
        EXPECT_EQ(r.source, "default");
        EXPECT_FALSE(r.why.empty()) << rule_text(r);
    }
}

TEST(DefaultSuppressionsTest, JvmOwnThreadsAreSilencedButNotJavaApplicationThreads) {
    std::vector<LeakedThread> threads = {jvm_gc_thread(), java_app_thread()};
    apply_suppressions(default_suppressions(), threads);
    ASSERT_EQ(threads.size(), 1u);
    EXPECT_EQ(threads[0].thread.name, "queue-consumer");
}

TEST(DefaultSuppressionsTest, AThreadNamedLikeTheFinalizerButNotStartedByJavaIsKept) {
    std::vector<LeakedThread> threads = {thread_of("Finalizer", {frame("/bin/app", "start_pool")},
                                                   {frame("/bin/app", "JVM_MonitorWait")})};
    apply_suppressions(default_suppressions(), threads);
    EXPECT_EQ(threads.size(), 1u);
}

TEST(SuppressionsTest, TimerSitesAreMatchedByTheirCreationStackAndCountedApart) {
    LeakedTimers runtime_timer;
    runtime_timer.pid = 7;
    runtime_timer.exe = "/usr/lib/erlang/erts/bin/beam.smp";
    runtime_timer.created_by = {frame("/usr/lib/erlang/erts/bin/beam.smp", "erts_poll_create_pollset")};
    runtime_timer.fds = {3};
    LeakedTimers app_timer = runtime_timer;
    app_timer.created_by = {frame("/opt/app/bin/app", "start_heartbeat")};
    std::vector<LeakedTimers> timers = {runtime_timer, app_timer};
    std::vector<SuppressedCount> counts = {{"ignore-created-by erts_poll_create_pollset", "default", 2}};
    SuppressionRule erlang = rule("ignore-created-by erts_poll_create_pollset");
    erlang.source = "default";
    apply_timer_suppressions({rule("ignore-top *"), erlang}, timers, counts);
    ASSERT_EQ(timers.size(), 1u);
    EXPECT_EQ(timers[0].created_by[0].function, "start_heartbeat") << "a blocking-stack rule matches no timer";
    ASSERT_EQ(counts.size(), 1u);
    EXPECT_EQ(counts[0].count, 2u) << "the rule's thread count is kept";
    EXPECT_EQ(counts[0].timers, 1u);
}

}  // namespace
}  // namespace threadleak
