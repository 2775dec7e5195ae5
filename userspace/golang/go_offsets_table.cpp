// runtime.g offsets of released Go versions on amd64, for binaries without DWARF.
// Counted from src/runtime/runtime2.go of each release (type g, type gobuf):
//   stack(16) stackguard0 stackguard1 _panic _defer m | sched gobuf @56
//   {sp@0 pc@8 g ctxt ret lr bp@48} | syscallsp syscallpc [syscallbp: 1.23+] stktopsp
//   param | atomicstatus(4) stackLock(4) goid schedlink waitsince waitreason(1) bools ...
// Cross-checks: the go1.19 row equals the DWARF of a Debian go1.19.8 build (the
// unit test asserts it); `labels` (gopc + 64 in every row) matches the offsets
// published by the OpenTelemetry eBPF profiler for 1.17-1.20 (360), 1.21/1.22 (344)
// and 1.23 (352). Changes between rows:
//   1.17-1.20: gopc 296, startpc 312 (sig, writebuf, sigcode0/1, sigpc before them).
//   1.21: sysexitticks/traceseq/tracelastp move into g.trace, sysblocktraced goes,
//         parentGoid (uint64) is added before gopc: gopc 280, startpc 296, parent 272.
//   1.23: syscallbp is added after syscallpc: everything from atomicstatus moves by 8.
// g_size: 392 is DWARF's go1.19 (runtime/sizeof_test.go says 392 for 1.17-1.20); the
// later sizes are counted to the end of the struct and only bound one read of a g.
#include <array>
#include <charconv>

#include "golang/go_offsets.h"

namespace threadleak {

namespace {

struct Row {
    int minor;
    GoOffsets offsets;
};

constexpr GoOffsets make(uint64_t shift, uint64_t gopc, uint64_t parent, uint64_t size) {
    GoOffsets o;
    o.sched_sp = 56;
    o.sched_pc = 64;
    o.sched_bp = 104;
    o.atomicstatus = 144 + shift;
    o.goid = 152 + shift;
    o.waitsince = 168 + shift;
    o.waitreason = 176 + shift;
    o.gopc = gopc;
    o.startpc = gopc + 16;  // after ancestors
    o.parent_goid = parent;
    o.g_size = size;
    return o;
}

constexpr std::array<Row, 7> kRows{{
    {17, make(0, 296, 0, 392)},
    {18, make(0, 296, 0, 392)},
    {19, make(0, 296, 0, 392)},
    {20, make(0, 296, 0, 392)},
    {21, make(0, 280, 272, 408)},
    {22, make(0, 280, 272, 416)},
    {23, make(8, 288, 280, 432)},
}};

}  // namespace

std::optional<std::pair<int, int>> go_major_minor(std::string_view v) {
    if (v.rfind("go", 0) != 0) return std::nullopt;
    const char* p = v.data() + 2;
    const char* end = v.data() + v.size();
    int major = 0, minor = 0;
    auto r1 = std::from_chars(p, end, major);
    if (r1.ec != std::errc() || r1.ptr == end || *r1.ptr != '.') return std::nullopt;
    auto r2 = std::from_chars(r1.ptr + 1, end, minor);
    if (r2.ec != std::errc()) return std::nullopt;
    return std::make_pair(major, minor);
}

std::optional<GoOffsets> go_offsets_from_table(std::string_view version, std::string* row) {
    auto mm = go_major_minor(version);
    if (!mm || mm->first != 1) return std::nullopt;
    for (const Row& r : kRows) {
        if (r.minor != mm->second) continue;
        if (row) *row = "go1." + std::to_string(r.minor);
        return r.offsets;
    }
    return std::nullopt;
}

}  // namespace threadleak
