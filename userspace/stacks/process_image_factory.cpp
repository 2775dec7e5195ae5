#include "stacks/process_image_factory.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace threadleak {

std::shared_ptr<ProcessImage> open_process_image(int pid) {
    std::string proc_root = "/proc/" + std::to_string(pid) + "/root";
    int fd = open(proc_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return std::make_shared<ProcessImage>(pid, "");
    return std::shared_ptr<ProcessImage>(new ProcessImage(pid, "/proc/self/fd/" + std::to_string(fd)),
                                         [fd](ProcessImage* p) {
                                             delete p;
                                             close(fd);
                                         });
}

}  // namespace threadleak
