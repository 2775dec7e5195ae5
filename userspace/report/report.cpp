// Names of the report model's enums, as they appear in every output format.
#include "report/report.h"

namespace threadleak {

const char* to_string(LeakKind k) {
    switch (k) {
    case LeakKind::Unjoined: return "unjoined";
    case LeakKind::Hung: return "hung";
    }
    return "unknown";
}

const char* to_string(ThreadState s) {
    switch (s) {
    case ThreadState::Blocked: return "blocked";
    case ThreadState::Running: return "running";
    }
    return "unknown";
}

}  // namespace threadleak
