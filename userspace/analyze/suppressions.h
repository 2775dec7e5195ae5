// Suppressions: rules that silence leaked threads a user (or a runtime) keeps
// by design. A rule is one or more conditions, all of which must hold; each is
// a glob (fnmatch) on one part of the thread. Silenced threads leave the leak
// list but are counted per rule, so nothing is hidden without a trace.
//
// Text form, one rule a line (files, --print-suppressions), pairs of KIND PATTERN:
//   ignore PATTERN             any frame of the creation or blocking stack
//   ignore-top PATTERN         the innermost blocking frame outside libc/libpthread
//   ignore-comm PATTERN        the thread's name
//   ignore-created-by PATTERN  any frame of the creation stack
//   unless-created-by PATTERN  no frame of the creation stack (an exception)
// A frame matches when PATTERN matches its demangled function, its module's
// path or its module's file name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "report/report.h"

namespace threadleak {

enum class MatchOn { AnyFrame, TopFrame, Comm, CreatedBy, NotCreatedBy };

struct SuppressionCondition {
    MatchOn on = MatchOn::AnyFrame;
    std::string pattern;
};

struct SuppressionRule {
    std::vector<SuppressionCondition> conditions;  ///< never empty once parsed
    std::string source;  ///< "default", "flag" or "FILE:LINE"
    std::string why;     ///< default rules: why it is not a leak
};

/// The keyword of `on` in the text form ("ignore-top", ...).
const char* keyword(MatchOn on);

/// The rule in its text form: "ignore-created-by libjvm.so unless-created-by JVM_StartThread".
std::string rule_text(const SuppressionRule& rule);

/// Parses one rule line (no comment, not blank). Returns false and sets
/// `error` (a phrase: "unknown keyword 'x'; use ignore, ...") when it is bad.
bool parse_rule(std::string_view line, SuppressionRule* rule, std::string* error);

/// One condition from a flag: --ignore, --ignore-top, ... Throws UserError
/// (exit 64) naming the flag for an empty pattern.
SuppressionRule flag_rule(MatchOn on, const std::string& pattern);

/// Reads a suppressions file: one rule a line, `#` starts a comment, blank
/// lines are skipped. Throws UserError (exit 64) naming FILE:LINE for a bad
/// line, and the file for one that cannot be read.
std::vector<SuppressionRule> read_suppressions_file(const std::string& path);

/// The rules as a suppressions file: each preceded by `# SOURCE: WHY`.
std::string suppressions_text(const std::vector<SuppressionRule>& rules);

/// True for a frame of libc or libpthread: they hold the wait primitives every
/// blocked thread sits in (and clone for every new one), so the frame that
/// tells who waits, or who created it, is the first one outside them.
bool is_libc(const Frame& frame);

/// True if every condition of `rule` holds for the thread.
bool rule_matches(const SuppressionRule& rule, const LeakedThread& thread);

/// Removes from `threads` the leaks (is_leak kinds) that a rule matches, each
/// counted under the first rule that matches it. Returns one count per rule
/// that silenced a thread, and per user rule (not "default") even at 0, so a
/// rule that matches nothing is visible too. Context threads (alive at a
/// crash) are kept.
std::vector<SuppressedCount> apply_suppressions(const std::vector<SuppressionRule>& rules,
                                                std::vector<LeakedThread>& threads);

/// Removes the timer sites a rule matches (by their creation stack, and the
/// process's executable: what a timer has of a thread), counting them in
/// `counts` under the rule (SuppressedCount::timers).
void apply_timer_suppressions(const std::vector<SuppressionRule>& rules, std::vector<LeakedTimers>& timers,
                              std::vector<SuppressedCount>& counts);

}  // namespace threadleak
