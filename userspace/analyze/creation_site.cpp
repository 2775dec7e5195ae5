#include "analyze/creation_site.h"

#include <array>
#include <cstdio>
#include <string_view>

namespace threadleak {
namespace {

std::string_view basename(std::string_view path) {
    const size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

/// Libraries whose every frame in a creation stack is the machinery of
/// starting a thread, never the code that wanted one.
bool is_threading_module(std::string_view module) {
    // "libc-2.": glibc before 2.34 (libc-2.31.so), not libc-client.so and the like.
    // musl's libc is its dynamic loader, ld-musl-ARCH.so.1.
    constexpr std::array<std::string_view, 11> kPrefixes = {
        "libc.so", "libc-2.", "libpthread", "ld-linux", "ld-musl", "libc.musl", "libstdc++", "libc++",
        "libgcc_s", "libgomp", "libboost_thread",
    };
    const std::string_view name = basename(module);
    for (std::string_view p : kPrefixes)
        if (name.starts_with(p)) return true;
    return false;
}

/// libc's thread-starting functions whose names are not reserved to the
/// implementation, so a program may have its own that start with them
/// (start_threads, create_thread_pool, clone_worker): matched whole, a
/// compiler's clone suffix (".constprop.0") aside.
bool is_libc_thread_function(std::string_view fn) {
    constexpr std::array<std::string_view, 5> kNames = {
        "clone", "clone3", "create_thread", "start_thread", "thrd_create",
    };
    const std::string_view name = fn.substr(0, fn.find('.'));
    for (std::string_view n : kNames)
        if (name == n) return true;
    return false;
}

/// Thread-starting functions linked into the program itself (static glibc,
/// Rust's standard library, header-only C++ wrappers, runtimes' helpers).
/// Prefixes are those of namespaces the implementations own (POSIX reserves
/// pthread_ and __).
bool is_threading_function(std::string_view fn) {
    if (is_libc_thread_function(fn)) return true;
    constexpr std::array<std::string_view, 19> kPrefixes = {
        "__clone", "pthread_create", "__pthread_create",
        "std::thread::", "std::__1::thread", "std::sys::", "std::thread<", "std::jthread",
        "core::ops::function::", "alloc::boxed::", "<alloc::boxed::", "boost::thread::",
        "g_thread_", "uv_thread_create", "PyThread_start_new_thread", "thread_PyThread_start_new_thread",
        "do_start_joinable_thread", "os::create_thread", "GOMP_parallel",
    };
    for (std::string_view p : kPrefixes)
        if (fn.starts_with(p)) return true;
    return fn.starts_with("std::") && fn.find("thread") != std::string_view::npos &&
           fn.find("::_M_start_thread") != std::string_view::npos;
}

}  // namespace

bool is_threading_frame(const Frame& f) {
    if (is_threading_module(f.module)) return true;
    return f.function && is_threading_function(*f.function);
}

size_t site_frame_count(const Stack& creation) {
    for (size_t i = 0; i < creation.size(); i++)
        if (!is_threading_frame(creation[i])) return i + 1;
    return creation.size();
}

std::string site_key(const Stack& site_frames) {
    std::string key;
    for (const Frame& f : site_frames) {
        key += f.module;
        key += '+';
        key += std::to_string(f.offset);
        key += ';';
    }
    return key;
}

std::string site_label(const Stack& site_frames) {
    if (site_frames.empty()) return "[unknown]";
    const Frame& f = site_frames.back();
    std::string label;
    if (f.function) {
        label = *f.function;
    } else {
        char offset[32];
        snprintf(offset, sizeof offset, "+0x%llx", static_cast<unsigned long long>(f.offset));
        label = std::string(basename(f.module)) + offset;
    }
    if (f.file) {
        label += " (" + std::string(basename(*f.file));
        if (f.line) label += ":" + std::to_string(*f.line);
        label += ")";
    }
    return label;
}

}  // namespace threadleak
