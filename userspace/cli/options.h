// The command line: builds the CLI11 app and parses arguments into the
// RunOptions of modes/run_mode.h. Never prints and never exits, so tests call
// it: help and version requests come back as text for main() to print.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "modes/attach_mode.h"
#include "modes/run_mode.h"

namespace threadleak {

/// Limits of --timeout and --sample-interval. 1ms is their resolution (the
/// sample interval is kept in ms); 10000h keeps every deadline computed from
/// them far from overflowing steady_clock's int64 nanoseconds.
inline constexpr std::chrono::nanoseconds kMinDuration = std::chrono::milliseconds(1);
inline constexpr std::chrono::nanoseconds kMaxDuration = std::chrono::hours(10000);

/// What the command line asks for.
struct CommandLine {
    enum class Action { kRun, kAttach, kPrintHelp, kPrintVersion, kPrintSuppressions };
    Action action = Action::kRun;
    std::string text;  ///< kPrintHelp / kPrintVersion / kPrintSuppressions: what to print on stdout
    RunOptions run;    ///< kRun: the `run` mode's options, validated
    AttachOptions attach;  ///< kAttach: the `attach` mode's options, validated
};

/// Parses the arguments after argv[0]. Throws UserError(exit_code::kUsage)
/// with a one-line message naming the flag and the fix for every bad flag,
/// value, subcommand or missing command.
CommandLine parse_command_line(const std::vector<std::string>& args);

}  // namespace threadleak
