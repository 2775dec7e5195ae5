// Google Benchmark micro-benchmarks of the userspace hot paths: decoding a
// ring-buffer record, unwinding + symbolizing a real stack, grouping leaks.
#include <benchmark/benchmark.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <unistd.h>

#include "analyze/growth_verdict.h"
#include "analyze/leak_grouping.h"
#include "stacks/process_image.h"
#include "capture/trace_events.h"

extern "C" {
#include "events.h"
}

using namespace threadleak;

namespace {

/// Registers and a copy of the calling thread's stack.
__attribute__((noinline)) StackSnapshot capture_own_stack() {
    StackSnapshot s;
    uint64_t sp, bp;
    asm volatile("mov %%rsp, %0; mov %%rbp, %1" : "=r"(sp), "=r"(bp));
    s.regs[7] = sp;
    s.regs[6] = bp;
    s.regs[16] = reinterpret_cast<uint64_t>(__builtin_return_address(0));
    // Resume from our caller: pc = return address, sp just above it.
    s.regs[7] = reinterpret_cast<uint64_t>(__builtin_frame_address(0)) + 16;
    std::ifstream maps("/proc/self/maps");
    std::string line;
    uint64_t end = 0;
    while (std::getline(maps, line)) {
        uint64_t lo, hi;
        if (sscanf(line.c_str(), "%lx-%lx", &lo, &hi) == 2 && s.regs[7] >= lo && s.regs[7] < hi) end = hi;
    }
    size_t len = std::min<uint64_t>(end - s.regs[7], 8192);
    s.stack.resize(len);
    memcpy(s.stack.data(), reinterpret_cast<void*>(s.regs[7]), len);
    return s;
}

void BM_DecodeThreadExitRecord(benchmark::State& state) {
    auto e = std::make_unique<tl_thread_exit_event>();
    memset(e.get(), 0, sizeof(*e));
    e->h.kind = TL_EV_THREAD_EXIT;
    e->how = TL_EXIT_KILLED;
    e->has_stack = 1;
    e->s.stack_len = 5000;
    size_t size = offsetof(tl_thread_exit_event, s.stack) + 5000;
    std::span<const uint8_t> rec(reinterpret_cast<const uint8_t*>(e.get()), size);
    for (auto _ : state) benchmark::DoNotOptimize(decode_event(rec, nullptr));
}
BENCHMARK(BM_DecodeThreadExitRecord);

void BM_UnwindAndSymbolizeOwnStack_Cached(benchmark::State& state) {
    ProcessImage image(getpid());
    image.load_proc_maps();
    StackSnapshot snap = capture_own_stack();
    benchmark::DoNotOptimize(image.resolve_stack(snap));  // warm the caches
    for (auto _ : state) benchmark::DoNotOptimize(image.resolve_stack(snap));
}
BENCHMARK(BM_UnwindAndSymbolizeOwnStack_Cached);

void BM_UnwindAndSymbolizeOwnStack_Cold(benchmark::State& state) {
    StackSnapshot snap = capture_own_stack();
    for (auto _ : state) {
        ProcessImage image(getpid());
        image.load_proc_maps();
        benchmark::DoNotOptimize(image.resolve_stack(snap));
    }
}
BENCHMARK(BM_UnwindAndSymbolizeOwnStack_Cold)->Unit(benchmark::kMillisecond);

void BM_GroupLeaks(benchmark::State& state) {
    std::vector<LeakedThread> threads(state.range(0));
    for (size_t i = 0; i < threads.size(); i++) {
        threads[i].thread.pid = 1;
        threads[i].thread.tid = static_cast<int>(i + 2);
        for (int f = 0; f < 20; f++)
            threads[i].created_by.push_back(Frame{0, "/lib/libc.so.6", uint64_t(f + (i % 10)), {}, 0, {}, {}, {}});
        BlockedIn b;
        b.syscall = "futex";
        b.frames = threads[i].created_by;
        threads[i].blocked_in = std::move(b);
    }
    for (auto _ : state) benchmark::DoNotOptimize(group_leaks(threads));
}
BENCHMARK(BM_GroupLeaks)->Arg(50)->Arg(5000);

// The growth rule on a 1000-point series (the census keeps at most 1024)
// whose alive and parked counts both rise: both steadiness tests run.
void BM_JudgeGrowth(benchmark::State& state) {
    std::vector<SitePoint> series;
    for (uint64_t i = 0; i < 1000; i++) series.push_back({i * 1'000'000'000, 10 + i / 3 + i % 5, i / 4});
    for (auto _ : state) benchmark::DoNotOptimize(judge_growth(series, 400, 0));
}
BENCHMARK(BM_JudgeGrowth)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
