// Reports for the flame-graph format tests (folded, svg, html): leak groups
// built frame by frame, a report whose every target string is hostile, one
// with ten thousand frames, and running xmllint (the XML parser the tests
// trust) on a document.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "report/report.h"

namespace threadleak::flame_test {

inline constexpr const char* kLibc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
inline constexpr const char* kApp = "/opt/app/bin/app";

/// Every kind of text an output context must neutralize, in one string.
inline const std::string kHostile =
    "<script>alert(1)</script>\"'&]]>;\nx\xe2\x80\xae\xff\xef\xbf\xbe";

inline Frame frame(std::optional<std::string> function, const std::string& module, uint64_t offset,
                   std::optional<std::string> file = std::nullopt, std::optional<int> line = std::nullopt) {
    Frame f;
    f.address = 0x7f0000000000 + offset;
    f.module = module;
    f.offset = offset;
    f.function = std::move(function);
    f.file = std::move(file);
    f.line = line;
    return f;
}

/// `count` threads of pid 100 created by `creator` (innermost first, as a
/// Stack is), blocked in syscall `syscall` with `frames`.
inline LeakGroup blocked_group(size_t count, Stack created_by, const std::string& syscall, Stack frames,
                               std::optional<BlockedFor> blocked_for = std::nullopt,
                               const std::string& name = "worker") {
    LeakGroup g;
    for (size_t i = 0; i < count; ++i)
        g.threads.push_back({100, kApp, static_cast<int>(101 + i), name, 100});
    g.created_by = std::move(created_by);
    BlockedIn b;
    b.syscall = syscall;
    b.blocked_for = blocked_for;
    b.frames = std::move(frames);
    g.blocked_in = std::move(b);
    return g;
}

/// Threads created in start_pool() at app.cpp:20, blocked in futex under Pool::run().
inline LeakGroup pool_group(size_t count, std::optional<BlockedFor> blocked_for = std::nullopt) {
    return blocked_group(count,
                         {frame("__clone3", kLibc, 0x11c3c0), frame("pthread_create", kLibc, 0x8a0f0),
                          frame("start_pool()", kApp, 0x1200, "/src/app.cpp", 20),
                          frame("main", kApp, 0x1100, "/src/app.cpp", 5)},
                         "futex",
                         {frame("__futex_abstimed_wait_common", kLibc, 0x8a3b6),
                          frame("Pool::run()", kApp, 0x1300, "/src/pool.cpp", 9),
                          frame("start_thread", kLibc, 0x89134), frame("__clone3", kLibc, 0x11c3c0)},
                         blocked_for);
}

/// A report whose function names, file names, module paths, thread names,
/// executable, argv and suppression rule all carry kHostile.
inline Report hostile_report() {
    Report r;
    r.session.command = {"/tmp/" + kHostile, kHostile};
    r.session.exit_code = 0;
    LeakGroup g = blocked_group(
        2,
        {frame("__clone3", kLibc, 0x11c3c0), frame(kHostile + "spawn", "/opt/" + kHostile + ".so", 0x40,
                                                    "/src/" + kHostile + ".c", 7)},
        "futex", {frame(kHostile, kApp, 0x10, kHostile, 3), frame(std::nullopt, kHostile, 0x20)},
        BlockedFor{1'000'000'000, true}, kHostile.substr(0, 15));
    g.threads[0].exe = "/tmp/" + kHostile;
    g.test = kHostile;
    r.leaks = {g};
    LeakedProcess p;
    p.pid = 300;
    p.exe = kHostile;
    p.cmdline = {kHostile, "--" + kHostile};
    p.ppid = 100;
    p.parent_exe = kHostile;
    p.creator_tid = 100;
    p.created_by = {frame("_Fork", kLibc, 0xea6b0), frame(kHostile, kApp, 0x50)};
    LeakGroup t = blocked_group(1, {}, "read", {frame("read", kLibc, 0x1147d0), frame(kHostile, kApp, 0x60)});
    t.kind = LeakKind::LeftRunning;
    t.threads = {{300, kHostile, 300, kHostile, std::nullopt}};
    p.threads = {t};
    r.leaked_processes = {p};
    r.suppressed = {{"ignore-comm " + kHostile, kHostile, 1}};
    return r;
}

/// `groups` leak groups of one thread each, every one with `depth` frames of
/// its own (names unique per group and depth): groups x depth distinct frames.
inline Report many_frames_report(size_t groups, size_t depth) {
    Report r;
    r.session.command = {"./big"};
    for (size_t i = 0; i < groups; ++i) {
        Stack blocking;
        for (size_t d = 0; d < depth; ++d)
            blocking.push_back(frame("ns::function_" + std::to_string(i) + "_" + std::to_string(d) + "()", kApp,
                                     0x1000 + i * 64 + d));
        LeakGroup g = blocked_group(1 + i % 3, {frame("start_" + std::to_string(i % 10) + "()", kApp, 0x100 + i % 10)},
                                    "futex", std::move(blocking));
        for (auto& t : g.threads) t.tid += static_cast<int>(i * 8);
        r.leaks.push_back(std::move(g));
    }
    return r;
}

struct CommandResult {
    int status = -1;
    std::string out;
};

/// Runs `command` through the shell; status is its exit status.
inline CommandResult run_shell(const std::string& command) {
    CommandResult result;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return result;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) result.out.append(buf, n);
    const int status = pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

/// `text` written to a fresh file under /tmp named NAME; the caller removes it.
inline std::filesystem::path write_temp(const std::string& name, const std::string& text) {
    char dir[] = "/tmp/threadleak-flame-XXXXXX";
    if (!mkdtemp(dir)) std::abort();
    const std::filesystem::path path = std::filesystem::path(dir) / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

/// xmllint's verdict on `document` (`args` before the file, e.g. --xpath).
inline CommandResult xmllint(const std::string& document, const std::string& args = "--noout") {
    const std::filesystem::path path = write_temp("document.xml", document);
    CommandResult result = run_shell("xmllint " + args + " " + path.string());
    std::filesystem::remove_all(path.parent_path());
    return result;
}

}  // namespace threadleak::flame_test
