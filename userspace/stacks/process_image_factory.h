// Makes the ProcessImage of a live process, its files opened inside its root.
#pragma once

#include <memory>

#include "stacks/process_image.h"

namespace threadleak {

/// Binaries are opened through /proc/PID/root (other mount namespaces); an
/// O_PATH fd held by the image keeps that root reachable after the process is
/// gone, until the tracker calls close_files(). If the root cannot be opened (the process is already gone), files
/// are looked up from threadleak's own root.
std::shared_ptr<ProcessImage> open_process_image(int pid);

}  // namespace threadleak
