// threadleak command line: parses flags (cli/options.h), runs a mode, maps
// errors to exit codes.
#include <cstdio>
#include <exception>

#include "cli/options.h"
#include "common/errors.h"
#include "modes/attach_mode.h"
#include "modes/run_mode.h"

using namespace threadleak;

int main(int argc, char** argv) {
    try {
        const CommandLine cl = parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
        switch (cl.action) {
            case CommandLine::Action::kPrintHelp:
            case CommandLine::Action::kPrintVersion:
            case CommandLine::Action::kPrintSuppressions:
                fputs(cl.text.c_str(), stdout);
                return 0;
            case CommandLine::Action::kRun:
                return run_mode(cl.run);
            case CommandLine::Action::kAttach:
                return attach_mode(cl.attach);
        }
    } catch (const UserError& e) {
        fprintf(stderr, "threadleak: error: %s\n", e.what());
        return e.exit_code();
    } catch (const std::exception& e) {
        fprintf(stderr, "threadleak: internal error: %s\n", e.what());
        return exit_code::kInternal;
    }
    return exit_code::kInternal;
}
