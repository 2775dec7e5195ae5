// Rendering of typed syscall arguments into the strings of docs/json-schema.md.
#include "formats/syscall_text.h"

#include <cinttypes>
#include <cstdio>

#include "formats/syscall_value_names.h"

namespace threadleak {
namespace {

constexpr int64_t kNsPerSec = 1'000'000'000;
constexpr uint64_t kTimerAbstime = 1;

int64_t as_int(uint64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }

std::vector<ArgPair> timeout_pairs(const TimeoutFact& t) {
    switch (t.form) {
    case TimeoutForm::None: return {{"timeout", "none"}};
    case TimeoutForm::Relative: return {{"timeout", exact_duration(t.relative_ns)}};
    case TimeoutForm::Absolute: {
        const std::string clock = t.clock_id ? clock_name(*t.clock_id) : "clock unknown";
        char buf[96];
        std::snprintf(buf, sizeof buf, "%" PRId64 ".%09" PRId64 " (%s)", t.deadline_sec,
                      t.deadline_nsec, clock.c_str());
        return {{"deadline", std::string(buf)}};
    }
    case TimeoutForm::Unread:
        return {{t.absolute ? "deadline" : "timeout", to_hex(t.pointer) + " (unread)"}};
    case TimeoutForm::Invalid: {
        char buf[80];
        std::snprintf(buf, sizeof buf, "invalid {tv_sec=%" PRId64 ", tv_nsec=%" PRId64 "}",
                      t.value_sec, t.value_subsec);
        return {{"timeout", std::string(buf)}};
    }
    case TimeoutForm::Overwritten: {
        std::vector<ArgPair> pairs{{"timeout", "unknown"}};
        if (t.remaining_ns) pairs.push_back({"remaining", exact_duration(*t.remaining_ns)});
        return pairs;
    }
    }
    return {};
}

std::variant<int64_t, std::string> arg_value(const SyscallArg& a) {
    const uint64_t v = a.raw;
    switch (a.type) {
    case ArgType::Int:
    case ArgType::Fd:
    case ArgType::TimeoutMs: return as_int(v);
    case ArgType::UInt: return static_cast<int64_t>(static_cast<uint32_t>(v));
    case ArgType::Long: return static_cast<int64_t>(v);
    case ArgType::Address:
    case ArgType::Flags:
    case ArgType::Timeout:  // without a timeout fact: only the pointer is known
    case ArgType::Raw: return to_hex(v);
    case ArgType::Bitset:
    case ArgType::Hex32: return to_hex(static_cast<uint32_t>(v));
    case ArgType::Mode: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "0%" PRIo64, v);
        return std::string(buf);
    }
    case ArgType::FutexOp: return futex_op_name(v);
    case ArgType::ClockId: return clock_name(as_int(v));
    case ArgType::SleepFlags: return std::string((v & kTimerAbstime) ? "TIMER_ABSTIME" : "0");
    case ArgType::FlockOp: return flock_op_name(v);
    case ArgType::FcntlCmd: return fcntl_cmd_name(static_cast<int32_t>(as_int(v)));
    }
    return to_hex(v);
}

}  // namespace

std::vector<ArgPair> arg_pairs(const DecodedSyscall& d, size_t i) {
    const SyscallArg& a = d.args.at(i);
    if (a.type == ArgType::Timeout && d.timeout) return timeout_pairs(*d.timeout);
    return {{a.name, arg_value(a)}};
}

std::optional<std::string> fd_kind_text(const DecodedSyscall& d, size_t i) {
    if (i != 0 || !d.fd || d.args.empty() || d.args[0].type != ArgType::Fd) return std::nullopt;
    return fd_kind_name(*d.fd);
}

std::vector<ArgPair> args_pairs(const DecodedSyscall& d) {
    std::vector<ArgPair> out;
    for (size_t i = 0; i < d.args.size(); ++i) {
        for (auto& p : arg_pairs(d, i)) out.push_back(std::move(p));
        if (auto kind = fd_kind_text(d, i)) out.push_back({"fd_kind", std::move(*kind)});
    }
    return out;
}

std::string exact_duration(int64_t ns) {
    struct Unit { int64_t ns; const char* suffix; };
    static constexpr Unit kUnits[] = {{kNsPerSec, "s"}, {1'000'000, "ms"}, {1'000, "us"}};
    for (const auto& u : kUnits) {
        if (ns < u.ns) continue;
        std::string s = std::to_string(ns / u.ns);
        if (int64_t frac = ns % u.ns; frac != 0) {
            std::string digits = std::to_string(frac);
            digits.insert(0, std::to_string(u.ns).size() - 1 - digits.size(), '0');
            while (digits.back() == '0') digits.pop_back();
            s += "." + digits;
        }
        return s + u.suffix;
    }
    return std::to_string(ns) + "ns";
}

}  // namespace threadleak
