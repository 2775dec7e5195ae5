// Unit tests for the pprof report format (userspace/formats/pprof_format.cpp):
// what go tool pprof, Parca and Pyroscope will read back from the profile.
// The whole message is also compared with a golden text form (golden_test.cpp).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "formats/report_format.h"
#include "pprof_decode.h"

namespace threadleak {
namespace {

namespace pb = perftools::profiles;
using pprof_test::decode_pprof;

constexpr const char* kLibc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
constexpr const char* kApp = "/opt/app/bin/app";
constexpr const char* kAppBuildId = "0badc0de0badc0de0badc0de0badc0de0badc0de";
constexpr uint64_t kAppBias = 0x55d0c3e00000;
constexpr uint64_t kLibcBias = 0x7f3e9c200000;

Frame frame(std::optional<std::string> function, const std::string& module, uint64_t offset,
            std::optional<std::string> file = std::nullopt, std::optional<int> line = std::nullopt) {
    Frame f;
    f.module = module;
    f.build_id = module == kApp ? kAppBuildId : "";
    f.offset = offset;
    f.address = (module == kApp ? kAppBias : kLibcBias) + offset;
    f.function = std::move(function);
    f.file = std::move(file);
    f.line = line;
    return f;
}

Stack created_by(const std::string& site) {
    return {frame("__clone3", kLibc, 0x11c3c0), frame(site, kApp, 0x1a40, "/src/app.cpp", 42),
            frame("main", kApp, 0x1100, "/src/main.cpp", 9)};
}

BlockedIn futex_wait(std::optional<BlockedFor> blocked_for, Stack frames) {
    BlockedIn b;
    b.nr = 202;
    b.syscall = "futex";
    b.blocked_for = blocked_for;
    b.frames = std::move(frames);
    return b;
}

/// `n` threads of pid 100 created by start_pool(), parked in a futex for 2.5 s.
LeakGroup pool(size_t n) {
    LeakGroup g;
    for (size_t i = 0; i < n; ++i) g.threads.push_back({100, kApp, 101 + static_cast<int>(i), "pool", 100});
    g.created_by = created_by("start_pool()");
    g.blocked_in = futex_wait(BlockedFor{2'500'000'000, true},
                              {frame("__futex_abstimed_wait_common", kLibc, 0x8a3b6),
                               frame("Pool::loop()", kApp, 0x1c80, "/src/pool.cpp", 17)});
    return g;
}

std::string render(const Report& r) {
    std::ostringstream out;
    make_report_format("pprof")->write(r, out);
    return out.str();
}

pb::Profile profile_of(const Report& r) { return decode_pprof(render(r)); }

const std::string& str(const pb::Profile& p, int64_t index) { return p.string_table(static_cast<int>(index)); }

const pb::Location& location(const pb::Profile& p, uint64_t id) { return p.location(static_cast<int>(id - 1)); }

/// Sample `i`'s stack as pprof shows it, leaf first: one name per Line
/// (inline levels innermost first), "0x..." for a location without one.
std::vector<std::string> stack_of(const pb::Profile& p, int i) {
    std::vector<std::string> names;
    for (uint64_t id : p.sample(i).location_id()) {
        const pb::Location& l = location(p, id);
        if (l.line().empty()) {
            std::ostringstream hex;
            hex << "0x" << std::hex << l.address();
            names.push_back(hex.str());
        }
        for (const pb::Line& line : l.line())
            names.push_back(str(p, p.function(static_cast<int>(line.function_id() - 1)).name()));
    }
    return names;
}

/// Sample `i`'s string labels, key -> value, and its numeric ones as "key=N".
std::map<std::string, std::string> labels_of(const pb::Profile& p, int i) {
    std::map<std::string, std::string> labels;
    for (const pb::Label& l : p.sample(i).label())
        labels[str(p, l.key())] = l.str() != 0 ? str(p, l.str()) : "=" + std::to_string(l.num());
    return labels;
}

TEST(PprofFormat, IsOneGzipMemberOfAProfileMessage) {
    Report r;
    r.leaks = {pool(1)};
    const std::string bytes = render(r);
    ASSERT_GE(bytes.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(bytes[1]), 0x8b);
    const pb::Profile p = decode_pprof(bytes);
    ASSERT_GE(p.string_table_size(), 1);
    EXPECT_EQ(p.string_table(0), "");
    EXPECT_EQ(render(r), bytes) << "the same report gives the same bytes";
}

TEST(PprofFormat, CountsThreadsAndParkedNanosecondsPerGroup) {
    Report r;
    r.leaks = {pool(3)};
    LeakGroup spinning;
    spinning.threads = {{100, kApp, 200, "spin", 100}};
    spinning.created_by = created_by("start_spinner()");
    spinning.state = ThreadState::Running;
    spinning.running_frames = {frame("spin()", kApp, 0x2e10, "/src/spin.cpp", 30)};
    LeakGroup unmeasured = pool(1);
    unmeasured.threads = {{100, kApp, 300, "late", 100}};
    unmeasured.blocked_in->blocked_for.reset();
    r.leaks.push_back(spinning);
    r.leaks.push_back(unmeasured);

    const pb::Profile p = profile_of(r);
    ASSERT_EQ(p.sample_type_size(), 2);
    EXPECT_EQ(str(p, p.sample_type(0).type()), "threads");
    EXPECT_EQ(str(p, p.sample_type(0).unit()), "count");
    EXPECT_EQ(str(p, p.sample_type(1).type()), "parked");
    EXPECT_EQ(str(p, p.sample_type(1).unit()), "nanoseconds");
    EXPECT_EQ(str(p, p.default_sample_type()), "threads");
    EXPECT_EQ(str(p, p.period_type().type()), "threads");
    EXPECT_EQ(p.period(), 1);
    ASSERT_EQ(p.sample_size(), 3);
    EXPECT_EQ(std::vector<int64_t>(p.sample(0).value().begin(), p.sample(0).value().end()),
              (std::vector<int64_t>{3, 7'500'000'000}));
    EXPECT_EQ(std::vector<int64_t>(p.sample(1).value().begin(), p.sample(1).value().end()),
              (std::vector<int64_t>{1, 0}));
    EXPECT_EQ(std::vector<int64_t>(p.sample(2).value().begin(), p.sample(2).value().end()),
              (std::vector<int64_t>{1, 0}));
}

TEST(PprofFormat, StackRunsFromTheSyscallThroughThreadStartToTheOutermostCreationFrame) {
    Report r;
    r.leaks = {pool(2)};
    LeakGroup spinning;
    spinning.threads = {{100, kApp, 200, "spin", 100}};
    spinning.created_by = created_by("start_spinner()");
    spinning.state = ThreadState::Running;
    spinning.running_frames = {frame("spin()", kApp, 0x2e10, "/src/spin.cpp", 30)};
    r.leaks.push_back(spinning);

    const pb::Profile p = profile_of(r);
    EXPECT_EQ(stack_of(p, 0), (std::vector<std::string>{"[syscall futex]", "__futex_abstimed_wait_common",
                                                       "Pool::loop()", "[thread start]", "__clone3",
                                                       "start_pool()", "main"}));
    EXPECT_EQ(stack_of(p, 1),
              (std::vector<std::string>{"spin()", "[thread start]", "__clone3", "start_spinner()", "main"}));
    // The shared frames are shared locations: main is one node in a flame graph.
    EXPECT_EQ(p.sample(0).location_id(6), p.sample(1).location_id(4));
}

TEST(PprofFormat, InlineLevelsOfOnePcAreOneLocationWithTheirLines) {
    Report r;
    LeakGroup g = pool(1);
    Frame inlined = frame("Queue::pop()", kApp, 0x1c80, "/src/queue.h", 55);
    g.blocked_in->frames.insert(g.blocked_in->frames.begin() + 1, inlined);  // inlined into Pool::loop()
    r.leaks = {g};

    const pb::Profile p = profile_of(r);
    ASSERT_EQ(p.sample(0).location_id_size(), 7);
    const pb::Location& l = location(p, p.sample(0).location_id(2));
    ASSERT_EQ(l.line_size(), 2);
    EXPECT_EQ(str(p, p.function(static_cast<int>(l.line(0).function_id() - 1)).name()), "Queue::pop()");
    EXPECT_EQ(l.line(0).line(), 55);
    EXPECT_EQ(str(p, p.function(static_cast<int>(l.line(1).function_id() - 1)).name()), "Pool::loop()");
    EXPECT_EQ(l.line(1).line(), 17);
    EXPECT_EQ(str(p, p.function(static_cast<int>(l.line(1).function_id() - 1)).filename()), "/src/pool.cpp");
    EXPECT_EQ(l.address(), kAppBias + 0x1c80);
}

TEST(PprofFormat, LabelsNameKindStatePidCommExeSyscallAndTest) {
    Report r;
    LeakGroup g = pool(2);
    g.kind = LeakKind::OutlivedTest;
    g.test = "Cache.EvictsOld";
    r.leaks = {g};
    LeakGroup hung_main;
    hung_main.kind = LeakKind::Hung;
    hung_main.threads = {{100, kApp, 100, "app", std::nullopt}};
    hung_main.state = ThreadState::Starting;
    r.leaks.push_back(hung_main);

    const pb::Profile p = profile_of(r);
    EXPECT_EQ(labels_of(p, 0), (std::map<std::string, std::string>{{"kind", "outlived_test"},
                                                                    {"state", "blocked"},
                                                                    {"pid", "=100"},
                                                                    {"comm", "pool"},
                                                                    {"exe", kApp},
                                                                    {"syscall", "futex"},
                                                                    {"test", "Cache.EvictsOld"}}));
    EXPECT_EQ(labels_of(p, 1), (std::map<std::string, std::string>{
                                   {"kind", "hung"}, {"state", "starting"}, {"pid", "=100"}, {"comm", "app"}, {"exe", kApp}}));
    // A main thread was not created by a thread: its process started it.
    EXPECT_EQ(stack_of(p, 1), (std::vector<std::string>{"[process start]"}));
}

TEST(PprofFormat, ParkedThreadsAreSamplesOfKindParked) {
    Report r;
    r.session.mode = Mode::Attach;
    r.session.pids = {100};
    LeakGroup seen = pool(3);
    seen.kind = LeakKind::Parked;
    LeakGroup before = pool(1);
    before.kind = LeakKind::Parked;
    before.created_before_attach = true;
    before.created_by.clear();
    before.threads[0].creator_tid.reset();
    before.threads[0].tid = 150;
    r.leaks = {seen, before};
    r.sites.resize(1);  // sites are no samples

    const pb::Profile p = profile_of(r);
    ASSERT_EQ(p.sample_size(), 2);
    EXPECT_EQ(labels_of(p, 0).at("kind"), "parked");
    EXPECT_EQ(p.sample(0).value(0), 3);
    EXPECT_EQ(labels_of(p, 1).at("kind"), "parked");
    // Its creation was not seen: the stack ends where the thread started.
    EXPECT_EQ(stack_of(p, 1), (std::vector<std::string>{"[syscall futex]", "__futex_abstimed_wait_common",
                                                        "Pool::loop()", "[thread start]"}));
}

TEST(PprofFormat, ThreadsOfLeakedProcessesAreSamplesRootedAtTheFork) {
    Report r;
    LeakedProcess helper;
    helper.pid = 300;
    helper.exe = kApp;
    helper.ppid = 100;
    helper.created_by = {frame("_Fork", kLibc, 0xea6b0), frame("spawn_helper()", kApp, 0x3600, "/src/spawn.cpp", 21)};
    LeakGroup main_thread;
    main_thread.kind = LeakKind::LeftRunning;
    main_thread.threads = {{300, kApp, 300, "helper", std::nullopt}};
    main_thread.blocked_in = futex_wait(std::nullopt, {frame("helper_main()", kApp, 0x1180)});
    LeakGroup worker = pool(1);
    worker.kind = LeakKind::LeftRunning;
    worker.threads = {{300, kApp, 301, "helper-worker", 300}};
    helper.threads = {main_thread, worker};
    r.leaked_processes = {helper};
    LeakGroup crashed = pool(4);
    crashed.kind = LeakKind::AliveAtCrash;
    r.alive_at_crash = {crashed};

    const pb::Profile p = profile_of(r);
    ASSERT_EQ(p.sample_size(), 2) << "threads alive at a crash are context, not samples";
    EXPECT_EQ(labels_of(p, 0).at("kind"), "left_running");
    EXPECT_EQ(labels_of(p, 0).at("pid"), "=300");
    EXPECT_EQ(stack_of(p, 0), (std::vector<std::string>{"[syscall futex]", "helper_main()", "[process start]",
                                                       "_Fork", "spawn_helper()"}));
    EXPECT_EQ(stack_of(p, 1), (std::vector<std::string>{"[syscall futex]", "__futex_abstimed_wait_common",
                                                       "Pool::loop()", "[thread start]", "__clone3",
                                                       "start_pool()", "main", "[process start]", "_Fork",
                                                       "spawn_helper()"}));
    bool counted = false;
    for (int64_t c : p.comment()) counted |= str(p, c).starts_with("4 threads alive when a signal killed");
    EXPECT_TRUE(counted);
}

TEST(PprofFormat, MappingsCarryFileBuildIdAndLoadAddressMainBinaryFirst) {
    Report r;
    LeakGroup g = pool(1);
    Frame jit;
    jit.address = 0x7f00dead1234;
    jit.module = "[unknown]";
    jit.offset = jit.address;
    g.blocked_in->frames.insert(g.blocked_in->frames.begin() + 1, jit);
    g.blocked_in->frames.insert(g.blocked_in->frames.begin() + 2, frame(std::nullopt, kApp, 0x2f00));
    r.leaks = {g};

    const pb::Profile p = profile_of(r);
    ASSERT_EQ(p.mapping_size(), 2);
    const pb::Mapping& app = p.mapping(0);
    EXPECT_EQ(str(p, app.filename()), kApp);
    EXPECT_EQ(str(p, app.build_id()), kAppBuildId);
    EXPECT_EQ(app.memory_start(), kAppBias);
    EXPECT_EQ(app.memory_limit(), kAppBias + 0x2f00 + 1);
    EXPECT_TRUE(app.has_functions() && app.has_filenames() && app.has_line_numbers());
    const pb::Mapping& libc = p.mapping(1);
    EXPECT_EQ(str(p, libc.filename()), kLibc);
    EXPECT_EQ(str(p, libc.build_id()), "");
    EXPECT_TRUE(libc.has_functions());
    EXPECT_FALSE(libc.has_filenames()) << "its frames had no debug info";

    EXPECT_EQ(stack_of(p, 0)[2], "0x7f00dead1234");
    EXPECT_EQ(location(p, p.sample(0).location_id(2)).mapping_id(), 0u) << "no mapping for an unknown module";
    const pb::Location& unsymbolized = location(p, p.sample(0).location_id(3));
    EXPECT_EQ(unsymbolized.mapping_id(), app.id());
    EXPECT_EQ(unsymbolized.address(), kAppBias + 0x2f00);
    EXPECT_EQ(unsymbolized.line_size(), 0);
}

TEST(PprofFormat, HeaderNamesTheToolTheCommandAndTheTime) {
    Report r;
    r.session.command = {"./server", "--port", "80"};
    r.session.exit_code = 3;
    r.session.threadleak_version = "1.2.3";
    r.session.start_unix_ns = 1'767'225'600'000'000'000;
    r.session.duration_ns = 1'500'000'000;
    r.health.ringbuf_drops = 2;
    const pb::Profile p = profile_of(r);
    EXPECT_EQ(p.sample_size(), 0);
    EXPECT_EQ(p.time_nanos(), 1'767'225'600'000'000'000);
    EXPECT_EQ(p.duration_nanos(), 1'500'000'000);
    std::vector<std::string> comments;
    for (int64_t c : p.comment()) comments.push_back(str(p, c));
    EXPECT_EQ(comments, (std::vector<std::string>{
                            "threadleak 1.2.3", "command: ./server --port 80 (exited with code 3)",
                            "2 events lost: leaks may be missing (see the health counters of --format json)"}));
}

/// Strings from the target in every place a profile holds one.
Report hostile_report(const std::string& s) {
    LeakGroup g = pool(1);
    g.threads[0].name = s;
    g.threads[0].exe = "/opt/" + s;
    g.blocked_in->syscall = s;
    g.blocked_in->frames[1].function = s;
    g.blocked_in->frames[1].file = s + ".cpp";
    g.blocked_in->frames[1].module = "/lib/" + s + ".so";
    g.test = s;
    Report r;
    r.session.command = {s};
    r.leaks = {g};
    return r;
}

/// Every string table entry of `p` that refers to nothing but is listed, and
/// the ones the hostile report put where: (field, value).
std::map<std::string, std::string> hostile_fields(const pb::Profile& p) {
    std::map<std::string, std::string> got = labels_of(p, 0);
    const pb::Location& l = location(p, p.sample(0).location_id(2));
    const pb::Function& f = p.function(static_cast<int>(l.line(0).function_id() - 1));
    got["function"] = str(p, f.name());
    got["file"] = str(p, f.filename());
    got["mapping"] = str(p, p.mapping(static_cast<int>(l.mapping_id() - 1)).filename());
    got["syscall frame"] = stack_of(p, 0)[0];
    got["command"] = str(p, p.comment(1));
    return got;
}

TEST(PprofFormat, StringsFromTheTargetAreCarriedVerbatim) {
    // Newlines, NUL, quotes, a right-to-left override, markup, format
    // directives, separators of other formats: pprof strings are data.
    const std::string hostile =
        std::string("a\nb\r\tc") + '\0' + "d\"'\\ \xe2\x80\xae <script>&amp; %s%n ;|{}[] \xf0\x9f\xa7\xb5" +
        std::string(10000, 'x');
    const pb::Profile p = profile_of(hostile_report(hostile));  // strict proto3 parse
    const std::map<std::string, std::string> got = hostile_fields(p);
    EXPECT_EQ(got.at("comm"), hostile);
    EXPECT_EQ(got.at("exe"), "/opt/" + hostile);
    EXPECT_EQ(got.at("syscall"), hostile);
    EXPECT_EQ(got.at("test"), hostile);
    EXPECT_EQ(got.at("function"), hostile);
    EXPECT_EQ(got.at("file"), hostile + ".cpp");
    EXPECT_EQ(got.at("mapping"), "/lib/" + hostile + ".so");
    EXPECT_EQ(got.at("syscall frame"), "[syscall " + hostile + "]");
    EXPECT_EQ(got.at("command"), "command: " + hostile + " (exit status unknown)");
    EXPECT_EQ(std::count(p.string_table().begin(), p.string_table().end(), hostile), 1)
        << "one string table entry, shared by every reference";
}

TEST(PprofFormat, InvalidUtf8BecomesReplacementCharactersSoStrictReadersAcceptTheFile) {
    // protobuf-go (Parca, Pyroscope) and libprotobuf refuse a proto3 string
    // holding invalid UTF-8: each bad byte becomes U+FFFD, the rest stays.
    const std::string bad = "a\xff" "b\xc3(c\xed\xa0\x80" "d\xe2\x80\xae";
    const std::string fixed = "a\xef\xbf\xbd" "b\xef\xbf\xbd(c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "d\xe2\x80\xae";
    const pb::Profile p = profile_of(hostile_report(bad));
    const std::map<std::string, std::string> got = hostile_fields(p);
    EXPECT_EQ(got.at("comm"), fixed);
    EXPECT_EQ(got.at("function"), fixed);
    EXPECT_EQ(got.at("mapping"), "/lib/" + fixed + ".so");
    for (const std::string& s : p.string_table())
        EXPECT_EQ(s.find('\xff'), std::string::npos) << "invalid UTF-8 left in the string table";
}

TEST(PprofFormat, ParkedTimeSaturatesInsteadOfWrapping) {
    Report r;
    LeakGroup g = pool(4);
    g.blocked_in->blocked_for = BlockedFor{UINT64_MAX / 2, false};
    r.leaks = {g};
    const pb::Profile p = profile_of(r);
    EXPECT_EQ(p.sample(0).value(1), INT64_MAX);
}

}  // namespace
}  // namespace threadleak
