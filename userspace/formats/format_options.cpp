#include "formats/format_options.h"

namespace threadleak {

const char* to_string(FlameStack s) {
    switch (s) {
    case FlameStack::Creation: return "creation";
    case FlameStack::Blocking: return "blocking";
    case FlameStack::Both: return "both";
    }
    return "?";
}

const char* to_string(FlameWeight w) {
    switch (w) {
    case FlameWeight::Count: return "count";
    case FlameWeight::Time: return "time";
    }
    return "?";
}


}  // namespace threadleak
