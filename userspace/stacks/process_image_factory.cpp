#include "stacks/process_image_factory.h"

#include <fcntl.h>

#include <string>

namespace threadleak {

std::shared_ptr<ProcessImage> open_process_image(int pid) {
    std::string proc_root = "/proc/" + std::to_string(pid) + "/root";
    OwnedFd root(open(proc_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return std::make_shared<ProcessImage>(pid, "");
    return std::make_shared<ProcessImage>(pid, std::move(root));
}

}  // namespace threadleak
