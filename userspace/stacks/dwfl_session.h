// One libdwfl session for one process: the modules (ELF files at their load
// biases) that unwinding and symbolization look addresses up in.
#pragma once

#include <cstdint>
#include <string>

#include <elfutils/libdwfl.h>

namespace threadleak {

class DwflSession {
public:
    DwflSession() = default;
    ~DwflSession();
    DwflSession(const DwflSession&) = delete;
    DwflSession& operator=(const DwflSession&) = delete;

    /// The Dwfl, created on first use; nullptr only if libdwfl is out of memory.
    Dwfl* get();

    /// Reports `file_path` (open as `fd`) as module `name` at load bias
    /// `bias`. Takes ownership of `fd` in every case. Returns the module, or
    /// nullptr if libdwfl refuses it (e.g. it overlaps a reported module).
    Dwfl_Module* report(const std::string& name, const std::string& file_path, int fd,
                        uint64_t bias);

    /// The module whose address range holds `addr`, or nullptr (also before
    /// anything was reported).
    Dwfl_Module* module_at(uint64_t addr) const;

    /// A minimal in-memory x86_64 ELF header, for the unwinder's
    /// dwfl_attach_state: it only needs the machine to pick the backend, and
    /// this works before any module is reported. Lives as long as the session.
    Elf* backend_elf();

private:
    // The destructor ends dwfl_ before backend_elf_: the attached process
    // state keeps a backend that refers to this Elf and its image.
    char backend_image_[64] = {};
    Elf* backend_elf_ = nullptr;
    Dwfl* dwfl_ = nullptr;
};

}  // namespace threadleak
