// The parts of the "text" format that other formats embed: the junit format's
// failure texts are these entries, written exactly as the full text report
// writes them, so a CI page and stderr show one wording.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "report/report.h"

namespace threadleak {

/// One leak group's entry ("==PID== threadleak: thread T... was never joined",
/// its stacks, the rest of its group), ending with a blank line. `report`
/// gives context (the signal that ended an alive-at-crash thread's process).
void write_text_leak_group(const Report& report, const LeakGroup& group, std::ostream& out);

/// One leaked process's entry: who started it where, then each of its threads.
void write_text_leaked_process(const Report& report, const LeakedProcess& process, std::ostream& out);

/// One line per suppression rule: how many threads it silenced, and from where.
void write_text_suppressed(const Report& report, std::ostream& out);

/// A stack, one "    #N 0xADDRESS in FUNCTION FILE:LINE (MODULE+0xOFFSET)" line
/// per frame, innermost first; "    (no stack)" when empty.
void write_text_stack(const Stack& stack, std::ostream& out);

/// Each kind of loss in `health` with what prevents it, one phrase each
/// ("5 records dropped (ring buffer full): ...; raise --ringbuf-size"); empty when nothing was lost.
std::vector<std::string> text_health_problems(const Health& health);

/// "command exited with code 0", "command was killed by SIGKILL", ...
std::string text_command_status(const SessionInfo& session);

/// attach, for a group whose creation was not seen: "created before attach,
/// started 2026-12-03 17:59:01" (local time, from /proc; "started between A
/// and B" when its threads' differ; "start time unknown"); a main thread's
/// says so: "created before attach (the process's main thread), started ...".
std::string text_before_attach(const LeakGroup& group);

}  // namespace threadleak
