// The "pprof" report format: the leaked threads as a gzipped profile.proto
// (formats/pprof/profile.proto), for go tool pprof, Parca and Pyroscope.
//
// One sample per leak group, and per thread group of a leaked process, with
// the values [threads, parked ns] (parked = threads x the group's longest
// blocked_for, 0 when not measured or not blocked). Its stack, leaf first:
//   [syscall NAME]                 when blocked in a syscall (no mapping)
//   blocking or running frames     innermost first
//   [thread start]                 then the creation frames, innermost first
// so the root is the outermost creation frame: the tree of a flame graph
// groups leaks by where they were created. A main thread has no creation
// stack; "[process start]" stands for it, and for a leaked process is
// followed by the stack that forked it (in its parent). Labels: kind, state,
// pid (a number), comm, exe, syscall, test. Threads alive at a crash are
// context, not leaks: they are not samples (a comment counts them).
#include <limits>
#include <memory>
#include <span>
#include <string>

#include "formats/gzip.h"
#include "formats/goroutine_text.h"
#include "formats/pprof_tables.h"
#include "formats/report_format.h"
#include "formats/wording.h"

namespace threadleak {
namespace {

namespace pb = perftools::profiles;

/// count x ns, capped at the largest int64 instead of wrapping.
int64_t parked_ns(size_t count, uint64_t ns) {
    constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
    if (ns != 0 && count > kMax / ns) return static_cast<int64_t>(kMax);
    return static_cast<int64_t>(count * ns);
}

/// "exited with code 3", "killed by SIGKILL", "timed out (--timeout)".
std::string command_status(const SessionInfo& s) {
    std::string text = s.signal ? "killed by " + *s.signal
                       : s.exit_code ? "exited with code " + std::to_string(*s.exit_code)
                                     : std::string("exit status unknown");
    return s.timed_out ? "timed out (--timeout); " + text : text;
}

std::string joined(const std::vector<std::string>& words) {
    std::string text;
    for (const std::string& w : words) text += (text.empty() ? "" : " ") + w;
    return text;
}

class ProfileWriter {
public:
    explicit ProfileWriter(pb::Profile& profile) : profile_(profile), tables_(profile) {}

    void header(const Report& r) {
        const SessionInfo& s = r.session;
        value_type(profile_.add_sample_type(), "threads", "count");
        value_type(profile_.add_sample_type(), "parked", "nanoseconds");
        profile_.set_default_sample_type(tables_.string("threads"));
        value_type(profile_.mutable_period_type(), "threads", "count");
        profile_.set_period(1);
        if (s.start_unix_ns) profile_.set_time_nanos(*s.start_unix_ns);
        if (s.duration_ns) profile_.set_duration_nanos(*s.duration_ns);
        comment("threadleak" + (s.threadleak_version.empty() ? "" : " " + s.threadleak_version));
        if (s.mode == Mode::Run) comment("command: " + joined(s.command) + " (" + command_status(s) + ")");
        if (const uint64_t lost = r.health.lost_events(); lost > 0)
            comment(plural(lost, "event", "events") +
                    " lost: leaks may be missing (see the health counters of --format json)");
        size_t crashed = 0;
        for (const LeakGroup& g : r.alive_at_crash) crashed += g.threads.size();
        if (crashed > 0)
            comment(plural(crashed, "thread", "threads") + " alive when a signal killed " +
                    (crashed == 1 ? "its" : "their") + " process: context, not samples");
    }

    /// Mappings of the main executables' frames first: mapping[0] is the main binary.
    void map_executables_first(const LeakGroup& g, const Stack* fork_stack) {
        const std::string& exe = g.first().exe;
        const auto map_exe_frames = [&](const Stack& stack) {
            for (const Frame& f : stack)
                if (f.module == exe) tables_.mapping(f);
        };
        if (g.blocked_in) map_exe_frames(g.blocked_in->frames);
        if (g.goroutine) map_exe_frames(g.goroutine->frames);
        map_exe_frames(g.running_frames);
        map_exe_frames(g.created_by);
        if (fork_stack != nullptr) map_exe_frames(*fork_stack);
    }

    /// One sample for `g`; `fork_stack` is its leaked process's, else nullptr.
    void sample(const LeakGroup& g, const Stack* fork_stack) {
        pb::Sample* s = profile_.add_sample();
        const ThreadIdentity& first = g.first();
        if (g.blocked_in) {
            s->add_location_id(tables_.pseudo_location("[syscall " + g.blocked_in->syscall + "]"));
            add_stack(s, g.blocked_in->frames);
        }
        if (g.goroutine) {
            // As Go's own goroutine profile: the wait reason, the goroutine's stack, its go statement.
            s->add_location_id(tables_.pseudo_location(goroutine_state_text(*g.goroutine)));
            add_stack(s, g.goroutine->frames);
            s->add_location_id(tables_.pseudo_location("[goroutine start]"));
            add_stack(s, g.created_by);
        }
        add_stack(s, g.running_frames);
        const bool main_thread = first.tid == first.pid && g.created_by.empty() && !g.goroutine;
        if (!main_thread && !g.goroutine) {
            s->add_location_id(tables_.pseudo_location("[thread start]"));
            add_stack(s, g.created_by);
        }
        if (main_thread || fork_stack != nullptr) {
            s->add_location_id(tables_.pseudo_location("[process start]"));
            if (fork_stack != nullptr) add_stack(s, *fork_stack);
        }

        s->add_value(static_cast<int64_t>(g.threads.size()));
        const bool measured = g.blocked_in && g.blocked_in->blocked_for;
        if (g.goroutine && g.goroutine->waiting_ns)
            s->add_value(parked_ns(g.threads.size(), *g.goroutine->waiting_ns));
        else
            s->add_value(measured ? parked_ns(g.threads.size(), g.blocked_in->blocked_for->ns) : 0);

        label(s, "kind", to_string(g.kind));
        label(s, "state", to_string(g.state));
        pb::Label* pid = s->add_label();
        pid->set_key(tables_.string("pid"));
        pid->set_num(first.pid);
        label(s, "comm", first.name);
        label(s, "exe", first.exe);
        if (g.blocked_in) label(s, "syscall", g.blocked_in->syscall);
        if (g.goroutine && !g.goroutine->wait_reason.empty()) label(s, "wait_reason", g.goroutine->wait_reason);
        if (g.test) label(s, "test", *g.test);
    }

private:
    void value_type(pb::ValueType* v, std::string_view type, std::string_view unit) {
        v->set_type(tables_.string(type));
        v->set_unit(tables_.string(unit));
    }

    void comment(const std::string& text) { profile_.add_comment(tables_.string(text)); }

    void label(pb::Sample* s, std::string_view key, std::string_view value) {
        pb::Label* l = s->add_label();
        l->set_key(tables_.string(key));
        l->set_str(tables_.string(value));
    }

    /// `stack`'s locations, innermost first; the inline levels of one pc
    /// (same address and module, each named) are one location.
    void add_stack(pb::Sample* s, const Stack& stack) {
        for (size_t i = 0; i < stack.size();) {
            size_t end = i + 1;
            if (stack[i].function)
                while (end < stack.size() && stack[end].function && stack[end].address == stack[i].address &&
                       stack[end].module == stack[i].module)
                    ++end;
            s->add_location_id(tables_.location(std::span(stack).subspan(i, end - i)));
            i = end;
        }
    }

    pb::Profile& profile_;
    PprofTables tables_;
};

class PprofFormat final : public ReportFormat {
public:
    void write(const Report& r, std::ostream& out) const override {
        pb::Profile profile;
        ProfileWriter writer(profile);
        writer.header(r);
        for (const LeakGroup& g : r.leaks) writer.map_executables_first(g, nullptr);
        for (const LeakedProcess& p : r.leaked_processes)
            for (const LeakGroup& g : p.threads) writer.map_executables_first(g, &p.created_by);
        for (const LeakGroup& g : r.leaks) writer.sample(g, nullptr);
        for (const LeakedProcess& p : r.leaked_processes)
            for (const LeakGroup& g : p.threads) writer.sample(g, &p.created_by);
        std::string bytes;
        if (!profile.SerializeToString(&bytes)) throw std::runtime_error("pprof: the profile did not serialize");
        out << gzip_compress(bytes);
    }
};

}  // namespace

/// Declared in report_format.cpp, the one place that lists the formats.
std::unique_ptr<ReportFormat> make_pprof_format(const FormatOptions&) { return std::make_unique<PprofFormat>(); }

}  // namespace threadleak
