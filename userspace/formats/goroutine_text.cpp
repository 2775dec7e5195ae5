#include "formats/goroutine_text.h"

#include "formats/wording.h"

namespace threadleak {

std::string goroutine_state_text(const GoroutineFacts& g) {
    return "[" + (g.wait_reason.empty() ? g.status : g.wait_reason) + "]";
}

std::string goroutine_phrase(const LeakGroup& g, Mode mode) {
    const ThreadIdentity& first = g.first();
    const GoroutineFacts& f = *g.goroutine;
    std::string s = plural(f.goids.size(), "goroutine", "goroutines") + " of pid " + std::to_string(first.pid) +
                    " (" + first.exe + ") ";
    if (f.at_exit)
        s += "never ended: " + goroutine_state_text(f) + " when the process exited";
    else if (mode == Mode::Attach)
        s += "parked in " + goroutine_state_text(f);
    else
        s += "still there when the --timeout expired: " + goroutine_state_text(f);
    if (f.waiting_ns)
        s += std::string(f.waiting_exact ? ", for " : ", for at least ") + whole_duration(*f.waiting_ns);
    return s;
}

std::string go_frame_text(const Frame& f) {
    std::string s = f.function.value_or("?");
    if (f.file) s += " (" + *f.file + (f.line ? ":" + std::to_string(*f.line) : "") + ")";
    return s;
}

std::string goid_list_text(const GoroutineFacts& g, size_t max_listed) {
    std::string s = g.goids.size() == 1 ? "goroutine" : "goroutines";
    for (size_t i = 0; i < g.goids.size() && i < max_listed; i++) s += " " + std::to_string(g.goids[i]);
    if (g.goids.size() > max_listed) s += " ...";
    return s;
}

}  // namespace threadleak
