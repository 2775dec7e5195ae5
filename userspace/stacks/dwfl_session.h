// One libdwfl session: owns a Dwfl and the modules (ELF files at their load
// biases) reported to it. The module cache gives each file its own, holding
// that one file at bias 0, shared by every process that maps it.
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

private:
    Dwfl* dwfl_ = nullptr;
};

}  // namespace threadleak
