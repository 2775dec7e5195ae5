#include "stacks/dwfl_session.h"

#include <fcntl.h>
#include <libelf.h>
#include <unistd.h>

#include "stacks/module_file.h"

namespace threadleak {
namespace {

// Only reached when a module's ELF handle was dropped: dwfl_report_elf
// preinstalls it. Opens the path the module was reported with; nothing from
// the target is ever executed or trusted beyond reading it as ELF.
int find_elf(Dwfl_Module*, void**, const char*, Dwarf_Addr, char** file_name, Elf** elfp) {
    if (file_name == nullptr || *file_name == nullptr) return -1;
    OwnedFd fd(open(*file_name, O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (!fd) return -1;
    *elfp = elf_begin(fd.get(), ELF_C_READ_MMAP_PRIVATE, nullptr);
    if (*elfp == nullptr) return -1;
    return fd.release();
}

// Separate debug info is looked up by build-id in the host's /usr/lib/debug
// only. The standard search also follows .gnu_debuglink names next to the
// file: inside a traced container those are names the target chose, resolved
// as root with plain open(), symlinks and ".." included, so a hostile image
// could make threadleak open host files or devices (or hang on a FIFO).
char g_host_debug_dir[] = "/usr/lib/debug";
char* g_debuginfo_path = g_host_debug_dir;

const Dwfl_Callbacks kCallbacks = {
    .find_elf = find_elf,
    .find_debuginfo = dwfl_build_id_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &g_debuginfo_path,
};

}  // namespace

DwflSession::~DwflSession() {
    if (dwfl_ != nullptr) dwfl_end(dwfl_);
}

Dwfl* DwflSession::get() {
    if (dwfl_ == nullptr) dwfl_ = dwfl_begin(&kCallbacks);
    return dwfl_;
}

Dwfl_Module* DwflSession::report(const std::string& name, const std::string& file_path, int fd,
                                 uint64_t bias) {
    OwnedFd owned(fd);
    Dwfl* dwfl = get();
    if (dwfl == nullptr) return nullptr;
    dwfl_report_begin_add(dwfl);
    // add_p_vaddr = true makes `bias` the load bias itself. With false,
    // libdwfl takes the value as the run-time start of the first PT_LOAD,
    // which differs from the bias when that segment's p_vaddr is not 0.
    Dwfl_Module* mod = dwfl_report_elf(dwfl, name.c_str(), file_path.c_str(), owned.get(),
                                       bias, true);
    // On success the module owns the descriptor and closes it at dwfl_end.
    if (mod != nullptr) owned.release();
    dwfl_report_end(dwfl, nullptr, nullptr);
    return mod;
}

}  // namespace threadleak
