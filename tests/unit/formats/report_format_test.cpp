// Unit tests for the text and json report formats (userspace/formats/*_format.cpp).
#include <gtest/gtest.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "formats/report_format.h"

namespace threadleak {
namespace {

using json = nlohmann::json;

Frame frame(std::optional<std::string> function, const std::string& module, uint64_t offset,
            std::optional<std::string> file = std::nullopt, std::optional<int> line = std::nullopt) {
    Frame f;
    f.function = std::move(function);
    f.module = module;
    f.offset = offset;
    f.address = 0x7f3e9c200000 + offset;
    f.file = std::move(file);
    f.line = line;
    return f;
}

LeakGroup heartbeat_group(size_t n_threads) {
    LeakGroup g;
    for (size_t i = 0; i < n_threads; ++i)
        g.threads.push_back({1234, "/path/demo", 1235 + static_cast<int>(i), "heartbeat", 1234});
    g.created_by = {frame("__clone3", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0x11c3c0),
                    frame("start_heartbeat()", "/path/demo", 0x1234, "/src/demo.cpp", 14)};
    BlockedIn b;
    b.nr = 202;
    b.syscall = "futex";
    b.args = {{"uaddr", ArgType::Address, 0x55d0c3e0e0a8},
              {"op", ArgType::FutexOp, 128},  // FUTEX_WAIT | FUTEX_PRIVATE_FLAG
              {"val", ArgType::Int, 0},
              {"timeout", ArgType::Timeout, 0}};
    b.futex = FutexFact{.uaddr = 0x55d0c3e0e0a8, .op = 128, .cmd = FutexCmd::Wait,
                        .is_private = true, .val = 0};
    b.timeout = TimeoutFact{.form = TimeoutForm::None};
    b.blocked_for = BlockedFor{2'000'000'000, true};
    b.frames = {frame("__futex_abstimed_wait_common64", "/usr/lib/x86_64-linux-gnu/libc.so.6",
                      0x8ab2c, "./nptl/futex-internal.c", 57),
                frame(std::nullopt, "/path/demo", 0x2000)};
    g.blocked_in = b;
    return g;
}

Report sample_report() {
    Report r;
    r.session.command = {"/path/demo", "--flag"};
    r.session.exit_code = 0;
    r.processes = {{1234, 1, "/path/demo", "demo", 0, std::nullopt}};
    r.leaks = {heartbeat_group(50)};
    return r;
}

std::string render(const std::string& format, const Report& r) {
    auto f = make_report_format(format);
    EXPECT_NE(f, nullptr);
    if (!f) return "";
    std::ostringstream out;
    f->write(r, out);
    return out.str();
}

/// Keys of the top-level object (or of `pointer` inside it) in written order.
std::vector<std::string> keys_in_order(const std::string& text, const std::string& pointer = "") {
    const auto j = nlohmann::ordered_json::parse(text);
    const auto& obj = pointer.empty() ? j : j.at(nlohmann::ordered_json::json_pointer(pointer));
    std::vector<std::string> keys;
    for (auto it = obj.begin(); it != obj.end(); ++it) keys.push_back(it.key());
    return keys;
}

TEST(ReportFormatTest, UnknownFormatNameIsNull) {
    EXPECT_EQ(make_report_format("xml"), nullptr);
    EXPECT_EQ(make_report_format(""), nullptr);
    EXPECT_NE(make_report_format("text"), nullptr);
    EXPECT_NE(make_report_format("json"), nullptr);
}

TEST(ReportFormatTest, JsonHasTheSchemaFieldsInOrder) {
    const std::string text = render("json", sample_report());
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');
    json j = json::parse(text);
    // threadleak/1's keys keep their order; `mode`, `health`, `deadlocks` and `suppressed` were added.
    EXPECT_EQ(keys_in_order(text), (std::vector<std::string>{
                                       "schema", "mode", "command", "exit_code", "signal", "timed_out",
                                       "wakes_tracked", "lost_events", "health", "leaked_threads", "leaked_goroutines", "processes", "leaks",
                                       "alive_at_crash", "leaked_processes", "deadlocks", "timers",
                                       "suppressed"}));
    EXPECT_EQ(j["mode"], "run");
    EXPECT_EQ(j["health"], json({{"ringbuf_drops", 0}, {"traced_map_full", 0}, {"malformed_records", 0},
                                 {"stack_copy_failures", 0}, {"unreadable_memory", 0},
                                 {"stacks_not_symbolized", 0}, {"unreadable_maps", 0},
                                 {"futex_waits_not_kept", 0}, {"goroutines_unread", 0}}));

    EXPECT_EQ(j["schema"], "threadleak/1");
    EXPECT_EQ(j["command"], json::array({"/path/demo", "--flag"}));
    EXPECT_EQ(j["exit_code"], 0);
    EXPECT_TRUE(j["signal"].is_null());
    EXPECT_EQ(j["timed_out"], false);
    EXPECT_EQ(j["lost_events"], 0);
    EXPECT_EQ(j["leaked_threads"], 50);

    ASSERT_EQ(j["processes"].size(), 1u);
    const json& p = j["processes"][0];
    EXPECT_EQ(p["pid"], 1234);
    EXPECT_EQ(p["ppid"], 1);
    EXPECT_EQ(p["exe"], "/path/demo");
    EXPECT_EQ(p["comm"], "demo");
    EXPECT_EQ(p["exit_code"], 0);
    EXPECT_TRUE(p["signal"].is_null());
}

TEST(ReportFormatTest, JsonLeakGroup) {
    const std::string text = render("json", sample_report());
    json j = json::parse(text);
    ASSERT_EQ(j["leaks"].size(), 1u);
    const json& l = j["leaks"][0];
    EXPECT_EQ(keys_in_order(text, "/leaks/0"),
              (std::vector<std::string>{"kind", "test", "count", "pid", "exe", "tids", "comm",
                                        "thread_names", "created_by", "state", "blocked_in", "wait", "waits_for_tid", "deadlock",
                                        "running_frames"}));
    EXPECT_EQ(keys_in_order(text, "/leaks/0/blocked_in"),
              (std::vector<std::string>{"syscall", "args", "timeout_ns", "blocked_for_ns",
                                        "blocked_for_exact", "frames"}));
    EXPECT_EQ(keys_in_order(text, "/leaks/0/blocked_in/frames/0"),
              (std::vector<std::string>{"function", "module", "offset", "address", "file",
                                        "line"}));
    EXPECT_EQ(keys_in_order(text, "/processes/0"),
              (std::vector<std::string>{"pid", "ppid", "exe", "comm", "exit_code", "signal"}));
    EXPECT_EQ(l["kind"], "unjoined");
    EXPECT_EQ(l["count"], 50);
    EXPECT_EQ(l["pid"], 1234);
    EXPECT_EQ(l["exe"], "/path/demo");
    ASSERT_EQ(l["tids"].size(), 50u);
    EXPECT_EQ(l["tids"][0], 1235);
    EXPECT_EQ(l["comm"], "heartbeat");
    EXPECT_EQ(l["thread_names"].size(), 50u);
    EXPECT_EQ(l["created_by"]["tid"], 1234);
    ASSERT_EQ(l["created_by"]["frames"].size(), 2u);
    EXPECT_EQ(l["state"], "blocked");
    EXPECT_TRUE(l["running_frames"].is_array());
    EXPECT_TRUE(l["running_frames"].empty());

    const json& b = l["blocked_in"];
    EXPECT_EQ(b["syscall"], "futex");
    EXPECT_EQ(b["args"]["uaddr"], "0x55d0c3e0e0a8");
    EXPECT_EQ(b["args"]["op"], "FUTEX_WAIT_PRIVATE");
    EXPECT_EQ(b["args"]["val"], 0);
    EXPECT_TRUE(b["args"]["val"].is_number_integer());
    EXPECT_TRUE(b["timeout_ns"].is_null());
    EXPECT_EQ(b["blocked_for_ns"], 2'000'000'000);
    EXPECT_EQ(b["blocked_for_exact"], true);

    const json& f0 = b["frames"][0];
    EXPECT_EQ(f0["function"], "__futex_abstimed_wait_common64");
    EXPECT_EQ(f0["module"], "/usr/lib/x86_64-linux-gnu/libc.so.6");
    EXPECT_EQ(f0["offset"], "0x8ab2c");
    EXPECT_EQ(f0["address"], "0x7f3e9c28ab2c");
    EXPECT_EQ(f0["file"], "./nptl/futex-internal.c");
    EXPECT_EQ(f0["line"], 57);
    const json& f1 = b["frames"][1];
    EXPECT_TRUE(f1["function"].is_null());
    EXPECT_TRUE(f1["file"].is_null());
    EXPECT_TRUE(f1["line"].is_null());
}

TEST(ReportFormatTest, JsonArgsKeepTheirOrder) {
    EXPECT_EQ(keys_in_order(render("json", sample_report()), "/leaks/0/blocked_in/args"),
              (std::vector<std::string>{"uaddr", "op", "val", "timeout"}));
}

TEST(ReportFormatTest, JsonPutsFdKindRightAfterFd) {
    Report r = sample_report();
    BlockedIn& b = *r.leaks[0].blocked_in;
    b.nr = 232;
    b.syscall = "epoll_wait";
    b.args = {{"fd", ArgType::Fd, 5}, {"events", ArgType::Address, 0x7ffd3000},
              {"maxevents", ArgType::Int, 64}, {"timeout_ms", ArgType::TimeoutMs, 0xffffffff}};
    b.fd = FdFact{.number = 5, .kind = FdKind::Epoll};
    b.futex.reset();
    b.timeout = TimeoutFact{.form = TimeoutForm::None};
    const std::string text = render("json", r);
    EXPECT_EQ(keys_in_order(text, "/leaks/0/blocked_in/args"),
              (std::vector<std::string>{"fd", "fd_kind", "events", "maxevents", "timeout_ms"}));
    const json args = json::parse(text)["leaks"][0]["blocked_in"]["args"];
    EXPECT_EQ(args["fd"], 5);
    EXPECT_EQ(args["fd_kind"], "epoll");
    EXPECT_EQ(args["events"], "0x7ffd3000");
    EXPECT_EQ(args["maxevents"], 64);
    EXPECT_EQ(args["timeout_ms"], -1);
}

TEST(ReportFormatTest, JsonRunningThreadHasNullBlockedIn) {
    Report r = sample_report();
    LeakGroup& g = r.leaks[0];
    g.kind = LeakKind::Hung;
    g.state = ThreadState::Running;
    g.blocked_in.reset();
    for (auto& t : g.threads) t.creator_tid.reset();
    g.running_frames = {frame("spin()", "/path/demo", 0x3000)};
    r.session.exit_code.reset();
    r.session.signal = "SIGKILL";
    r.session.timed_out = true;
    json j = json::parse(render("json", r));
    const json& l = j["leaks"][0];
    EXPECT_EQ(l["kind"], "hung");
    EXPECT_EQ(l["state"], "running");
    EXPECT_TRUE(l["blocked_in"].is_null());
    EXPECT_TRUE(l["created_by"]["tid"].is_null());
    EXPECT_EQ(l["running_frames"][0]["function"], "spin()");
    EXPECT_TRUE(j["exit_code"].is_null());
    EXPECT_EQ(j["signal"], "SIGKILL");
    EXPECT_EQ(j["timed_out"], true);
}

TEST(ReportFormatTest, EachKindOfLossNamesItsOwnFix) {
    Report r = sample_report();
    r.leaks.clear();
    r.health.traced_map_full = 2;
    r.health.malformed_records = 1;
    const std::string text = render("text", r);
    EXPECT_NE(text.find("; 2 processes were not followed (traced-process map full): raise --max-processes"),
              std::string::npos) << text;
    EXPECT_NE(text.find("; 1 malformed record dropped (a threadleak bug: please report it)"),
              std::string::npos) << text;
    EXPECT_EQ(text.find("--ringbuf-size"), std::string::npos) << text;
    json j = json::parse(render("json", r));
    EXPECT_EQ(j["lost_events"], 3);
    EXPECT_EQ(j["health"]["traced_map_full"], 2);
    EXPECT_EQ(j["health"]["malformed_records"], 1);
    EXPECT_EQ(j["health"]["ringbuf_drops"], 0);
}

TEST(ReportFormatTest, ThreadsAliveAtACrashAreContextNotLeaks) {
    Report r = sample_report();
    r.session.exit_code.reset();
    r.session.signal = "SIGABRT";
    r.processes[0].exit_code.reset();
    r.processes[0].signal = "SIGABRT";
    r.alive_at_crash = std::move(r.leaks);
    r.leaks.clear();
    r.alive_at_crash[0].kind = LeakKind::AliveAtCrash;
    const std::string text = render("text", r);
    EXPECT_NE(text.find("==1234== threadleak: thread T1235 \"heartbeat\" of pid 1234 (/path/demo) was alive "
                        "when SIGABRT killed the process (not counted as a leak)\n"),
              std::string::npos) << text;
    EXPECT_NE(text.find("threadleak: no leaked threads (command was killed by SIGABRT); 50 threads were "
                        "alive when a signal killed its process (not counted as leaks)\n"),
              std::string::npos) << text;
    json j = json::parse(render("json", r));
    EXPECT_EQ(j["leaked_threads"], 0);
    EXPECT_TRUE(j["leaks"].empty());
    ASSERT_EQ(j["alive_at_crash"].size(), 1u);
    EXPECT_EQ(j["alive_at_crash"][0]["kind"], "alive_at_crash");
    EXPECT_EQ(j["alive_at_crash"][0]["count"], 50);
}

TEST(ReportFormatTest, StartingAndExecingThreadsAreNotCalledBlocked) {
    Report r = sample_report();
    r.leaks[0].state = ThreadState::Starting;
    r.leaks[0].blocked_in.reset();
    std::string text = render("text", r);
    EXPECT_NE(text.find("  starting: created, but killed before it first ran\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("blocked in"), std::string::npos) << text;
    EXPECT_EQ(json::parse(render("json", r))["leaks"][0]["state"], "starting");

    r = sample_report();
    r.leaks[0].kind = LeakKind::KilledByExec;
    r.leaks[0].state = ThreadState::Execing;
    text = render("text", r);
    EXPECT_NE(text.find("was never joined: killed by exec (another thread of its process called execve)"),
              std::string::npos) << text;
    EXPECT_NE(text.find("  exec'ing: in futex("), std::string::npos) << text;
    json j = json::parse(render("json", r));
    EXPECT_EQ(j["leaks"][0]["kind"], "killed_by_exec");
    EXPECT_EQ(j["leaks"][0]["state"], "execing");
}

TEST(ReportFormatTest, JsonEscapesHostileSymbolNames) {
    Report r = sample_report();
    const std::string hostile = std::string("op\"er\\ator\n\t\x01") + "\xff\xfe" + "end";
    r.leaks[0].blocked_in->frames[0].function = hostile;
    r.leaks[0].threads[0].name = "bad\xc3";  // truncated UTF-8 sequence
    const std::string text = render("json", r);
    json j;
    ASSERT_NO_THROW(j = json::parse(text));
    const std::string fn = j["leaks"][0]["blocked_in"]["frames"][0]["function"];
    EXPECT_EQ(fn.substr(0, 13), "op\"er\\ator\n\t\x01");
    EXPECT_NE(fn.find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD replaces bad bytes
    EXPECT_NE(fn.find("end"), std::string::npos);
    EXPECT_NE(text.find("\\u0001"), std::string::npos);
    EXPECT_EQ(text.find('\x01'), std::string::npos);
}

TEST(ReportFormatTest, JsonEmptyReport) {
    Report r;
    r.session.command = {"true"};
    r.session.exit_code = 0;
    json j = json::parse(render("json", r));
    EXPECT_EQ(j["leaked_threads"], 0);
    EXPECT_TRUE(j["leaks"].is_array());
    EXPECT_TRUE(j["leaks"].empty());
    EXPECT_TRUE(j["processes"].is_array());
}

TEST(ReportFormatTest, TextHasHeadlineStacksAndSummary) {
    const std::string text = render("text", sample_report());
    EXPECT_NE(text.find("==1234== threadleak: thread T1235 \"heartbeat\" of pid 1234 (/path/demo) "
                        "was never joined: still alive when the process exited\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("==1234==   blocked in futex(uaddr=0x55d0c3e0e0a8, op=FUTEX_WAIT_PRIVATE, "
                        "val=0, timeout=none) for up to 2.00s\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("    #0 0x00007f3e9c28ab2c in __futex_abstimed_wait_common64 "
                        "./nptl/futex-internal.c:57 (/usr/lib/x86_64-linux-gnu/libc.so.6+0x8ab2c)\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("    #1 0x00007f3e9c202000 in ?? (/path/demo+0x2000)\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("==1234==   created by thread T1234 at:\n"), std::string::npos) << text;
    EXPECT_NE(text.find("in start_heartbeat() /src/demo.cpp:14 (/path/demo+0x1234)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("==1234==   and 49 more threads like this: T1236 T1237 T1238 T1239 T1240 "
                        "T1241 T1242 T1243 T1244 T1245 ...\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("SUMMARY: threadleak: 50 leaked threads (1 site) in 1 process; "
                        "command exited with code 0\n"),
              std::string::npos)
        << text;
}

TEST(ReportFormatTest, BlockedForALowerBoundSaysAtLeast) {
    Report r = sample_report();
    r.leaks[0] = heartbeat_group(1);
    r.leaks[0].blocked_in->blocked_for = BlockedFor{1'200'000'000, false};
    std::string text = render("text", r);
    EXPECT_NE(text.find("val=0, timeout=none) for at least 1.20s\n"), std::string::npos) << text;
    json j = json::parse(render("json", r));
    EXPECT_EQ(j["leaks"][0]["blocked_in"]["blocked_for_ns"], 1'200'000'000);
    EXPECT_EQ(j["leaks"][0]["blocked_in"]["blocked_for_exact"], false);

    r.leaks[0].blocked_in->blocked_for->exact = true;
    text = render("text", r);
    EXPECT_NE(text.find("val=0, timeout=none) for 1.20s\n"), std::string::npos) << text;

    r.leaks[0] = heartbeat_group(3);
    r.leaks[0].blocked_in->blocked_for = BlockedFor{1'200'000'000, false};
    text = render("text", r);
    EXPECT_NE(text.find("val=0, timeout=none) for at least 1.20s (the longest)\n"), std::string::npos) << text;

    r.leaks[0].blocked_in->blocked_for.reset();
    text = render("text", r);
    EXPECT_NE(text.find("val=0, timeout=none)\n"), std::string::npos) << text;
    j = json::parse(render("json", r));
    EXPECT_TRUE(j["leaks"][0]["blocked_in"]["blocked_for_ns"].is_null());
    EXPECT_TRUE(j["leaks"][0]["blocked_in"]["blocked_for_exact"].is_null());
}

TEST(ReportFormatTest, TextSingleThreadRunningAndHung) {
    Report r = sample_report();
    r.leaks[0] = heartbeat_group(1);
    r.leaks[0].kind = LeakKind::Hung;
    r.leaks[0].state = ThreadState::Running;
    r.leaks[0].blocked_in.reset();
    r.leaks[0].running_frames = {frame("spin()", "/path/demo", 0x3000, "/src/demo.cpp", 30)};
    r.session.exit_code.reset();
    r.session.signal = "SIGKILL";
    r.session.timed_out = true;
    const std::string text = render("text", r);
    EXPECT_NE(text.find("was still alive when the --timeout expired"), std::string::npos) << text;
    EXPECT_NE(text.find("==1234==   running in user code (busy loop?)\n    #0 "), std::string::npos)
        << text;
    EXPECT_NE(text.find("in spin() /src/demo.cpp:30"), std::string::npos) << text;
    EXPECT_EQ(text.find("more thread"), std::string::npos) << text;
    EXPECT_NE(text.find("SUMMARY: threadleak: 1 leaked thread (1 site) in 1 process; "
                        "command was killed by SIGKILL after the --timeout\n"),
              std::string::npos)
        << text;
}

TEST(ReportFormatTest, TextShowsFdKindAndLostEvents) {
    Report r = sample_report();
    r.health.ringbuf_drops = 3;
    BlockedIn& b = *r.leaks[0].blocked_in;
    b.nr = 0;
    b.syscall = "read";
    b.args = {{"fd", ArgType::Fd, 3}, {"buf", ArgType::Address, 0x7ffd2000},
              {"count", ArgType::Long, 4096}};
    b.fd = FdFact{.number = 3, .kind = FdKind::Pipe};
    b.futex.reset();
    b.timeout.reset();
    const std::string text = render("text", r);
    EXPECT_NE(text.find("blocked in read(fd=3 (pipe), buf=0x7ffd2000, count=4096)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("; 3 records dropped (ring buffer full): the report may be incomplete; raise --ringbuf-size\n"),
              std::string::npos)
        << text;
}

TEST(ReportFormatTest, TextNoLeaksIsOneLine) {
    Report r;
    r.session.command = {"true"};
    r.session.exit_code = 3;
    EXPECT_EQ(render("text", r), "threadleak: no leaked threads (command exited with code 3)\n");
}

TEST(ReportFormatTest, TextEscapesControlCharactersInNames) {
    Report r = sample_report();
    r.leaks[0].threads[0].name = "evil\n==1== fake";
    const std::string text = render("text", r);
    EXPECT_NE(text.find("\"evil\\x0a==1== fake\""), std::string::npos) << text;
}

/// A server the command left running, with a hostile command line.
LeakedProcess server_left_running() {
    LeakedProcess p;
    p.pid = 2000;
    p.exe = "/usr/bin/server";
    p.cmdline = {"server", "--name", "a b", "evil\n==1== fake\x1b[31m"};
    p.ppid = 1234;
    p.parent_exe = "/path/demo";
    p.creator_tid = 1236;
    p.created_by = {frame("_Fork", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0xea6b0),
                    frame("start_server()", "/path/demo", 0x1500, "/src/demo.cpp", 30)};
    LeakGroup main_thread = heartbeat_group(1);
    main_thread.kind = LeakKind::LeftRunning;
    main_thread.threads = {{2000, "/usr/bin/server", 2000, "server", std::nullopt}};
    p.threads = {main_thread};
    return p;
}

TEST(ReportFormatTest, LeakedProcessIsALeakInTextWithItsForkSiteAndEscapedCommandLine) {
    Report r;
    r.session.command = {"/path/demo"};
    r.session.exit_code = 0;
    r.leaked_processes = {server_left_running()};
    EXPECT_TRUE(r.has_leaks());
    const std::string text = render("text", r);
    EXPECT_NE(text.find("==2000== threadleak: leaked process 2000 (server --name \"a b\" "
                        "\"evil\\x0a==1== fake\\x1b[31m\") of /usr/bin/server, started by pid 1234 (/path/demo), "
                        "was never waited for: still running when the command exited (killed by threadleak)\n"
                        "==2000==   started by thread T1236 at:\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("in start_server() /src/demo.cpp:30"), std::string::npos) << text;
    EXPECT_NE(text.find("main thread T2000 \"server\" of pid 2000 (/usr/bin/server) was alive when the "
                        "command exited, in that leaked process\n==2000==   blocked in futex("),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("SUMMARY: threadleak: 1 leaked process (still running when the command exited); "
                        "command exited with code 0\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("no leaked threads"), std::string::npos) << text;
}

TEST(ReportFormatTest, JsonLeakedProcess) {
    Report r = sample_report();
    r.leaked_processes = {server_left_running()};
    r.leaked_processes[0].cmdline_truncated = true;
    const std::string text = render("json", r);
    EXPECT_EQ(keys_in_order(text, "/leaked_processes/0"),
              (std::vector<std::string>{"pid", "exe", "cmdline", "cmdline_truncated", "ppid", "parent_exe",
                                        "created_by", "threads"}));
    const json p = json::parse(text)["leaked_processes"][0];
    EXPECT_EQ(p["pid"], 2000);
    EXPECT_EQ(p["cmdline"][3], "evil\n==1== fake\x1b[31m");  // JSON escapes it
    EXPECT_EQ(p["cmdline_truncated"], true);
    EXPECT_EQ(p["ppid"], 1234);
    EXPECT_EQ(p["created_by"]["tid"], 1236);
    EXPECT_EQ(p["created_by"]["frames"][1]["function"], "start_server()");
    ASSERT_EQ(p["threads"].size(), 1u);
    EXPECT_EQ(p["threads"][0]["kind"], "left_running");
    EXPECT_EQ(p["threads"][0]["tids"], json::array({2000}));
    EXPECT_EQ(p["threads"][0]["blocked_in"]["syscall"], "futex");
    EXPECT_EQ(json::parse(text)["leaked_threads"], 50) << "a leaked process's threads are not leaked threads";
}

}  // namespace
}  // namespace threadleak
