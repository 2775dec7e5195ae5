#include "capture/proc_text.h"

#include <fstream>
#include <sstream>

namespace threadleak {

std::string read_proc_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace threadleak
