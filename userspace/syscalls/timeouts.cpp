// Timeout facts; see timeouts.h for the forms.
#include "syscalls/timeouts.h"

#include <limits>
#include <optional>

namespace threadleak {
namespace {

constexpr int64_t kNsPerSec = 1'000'000'000;

/// Nanoseconds of a (sec, subsec) pair, subsec in units of `unit_ns`;
/// nullopt when the kernel would reject it (EINVAL).
std::optional<int64_t> to_ns(int64_t sec, int64_t subsec, int64_t unit_ns) {
    if (sec < 0 || subsec < 0 || subsec >= kNsPerSec / unit_ns) return std::nullopt;
    if (sec > std::numeric_limits<int64_t>::max() / kNsPerSec - 1)
        return std::numeric_limits<int64_t>::max();
    return sec * kNsPerSec + subsec * unit_ns;
}

}  // namespace

TimeoutFact relative_timeout(const RawSyscall& raw, uint64_t ptr, int64_t subsec_unit_ns) {
    TimeoutFact t;
    t.pointer = ptr;
    if (ptr == 0) {
        t.form = TimeoutForm::None;
    } else if (raw.timeout_valid && raw.captured_after_interruption &&
               interruption_rewrites_timeout(raw)) {
        // The requested duration is gone: only what was left of it is known.
        t.form = TimeoutForm::Overwritten;
        t.remaining_ns = to_ns(raw.timeout[0], raw.timeout[1], subsec_unit_ns);
    } else if (!raw.timeout_valid) {
        t.form = TimeoutForm::Unread;
    } else if (auto ns = to_ns(raw.timeout[0], raw.timeout[1], subsec_unit_ns)) {
        t.form = TimeoutForm::Relative;
        t.relative_ns = *ns;
    } else {
        t.form = TimeoutForm::Invalid;
        t.value_sec = raw.timeout[0];
        t.value_subsec = raw.timeout[1];
    }
    return t;
}

TimeoutFact deadline_timeout(const RawSyscall& raw, uint64_t ptr, int64_t clock_id) {
    TimeoutFact t;
    t.absolute = true;
    t.clock_id = clock_id;
    t.pointer = ptr;
    if (ptr == 0) {
        t.form = TimeoutForm::None;
    } else if (!raw.timeout_valid) {
        t.form = TimeoutForm::Unread;
    } else {
        t.form = TimeoutForm::Absolute;
        t.deadline_sec = raw.timeout[0];
        t.deadline_nsec = raw.timeout[1];
    }
    return t;
}

TimeoutFact millisecond_timeout(int32_t ms) {
    TimeoutFact t;
    if (ms >= 0) {  // any negative value waits forever
        t.form = TimeoutForm::Relative;
        t.relative_ns = int64_t{ms} * 1'000'000;
    }
    return t;
}

void set_timeout(DecodedSyscall& out, const TimeoutFact& t) {
    out.timeout = t;
    if (t.form == TimeoutForm::Relative) out.timeout_ns = t.relative_ns;
}

bool interruption_rewrites_timeout(const RawSyscall& raw) {
    const auto& a = raw.args;
    switch (raw.nr) {
    case 23:   // select
    case 270:  // pselect6
    case 271:  // ppoll
        return true;
    case 35:  // nanosleep(req, rem)
        return a[1] != 0 && a[1] == a[0];
    case 230:  // clock_nanosleep(clock, flags, req, rem); absolute sleeps write nothing
        return (a[1] & 1) == 0 && a[3] != 0 && a[3] == a[2];
    }
    return false;
}

}  // namespace threadleak
