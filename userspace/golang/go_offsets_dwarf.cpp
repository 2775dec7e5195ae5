// runtime.g offsets from the binary's own DWARF (libdw): exact for any version,
// including ones newer than the table. The Go linker emits types as top-level
// DIEs of its compilation units, so only CU children are visited.
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <map>

#include "golang/go_offsets.h"

namespace threadleak {

namespace {

using Members = std::map<std::string, uint64_t>;

struct Found {
    bool g = false, gobuf = false;
    Members g_members, gobuf_members;
    uint64_t g_size = 0;
};

void read_members(Dwarf_Die* type, Members* out) {
    Dwarf_Die child;
    if (dwarf_child(type, &child) != 0) return;
    do {
        if (dwarf_tag(&child) != DW_TAG_member) continue;
        const char* name = dwarf_diename(&child);
        Dwarf_Attribute attr;
        Dwarf_Word loc = 0;
        // Go writes data_member_location as a constant (DWARF 4 form data1..8/udata).
        if (name && dwarf_attr(&child, DW_AT_data_member_location, &attr) &&
            dwarf_formudata(&attr, &loc) == 0)
            (*out)[name] = loc;
    } while (dwarf_siblingof(&child, &child) == 0);
}

void scan(Dwarf* dw, Found* found) {
    Dwarf_Off off = 0, next = 0;
    size_t header = 0;
    while (!(found->g && found->gobuf) &&
           dwarf_nextcu(dw, off, &next, &header, nullptr, nullptr, nullptr) == 0) {
        Dwarf_Die cu, die;
        if (dwarf_offdie(dw, off + header, &cu) && dwarf_child(&cu, &die) == 0) {
            do {
                if (dwarf_tag(&die) != DW_TAG_structure_type) continue;
                const char* name = dwarf_diename(&die);
                if (!name) continue;
                if (!found->g && std::strcmp(name, "runtime.g") == 0) {
                    found->g = true;
                    read_members(&die, &found->g_members);
                    Dwarf_Word size = 0;
                    Dwarf_Attribute attr;
                    if (dwarf_attr(&die, DW_AT_byte_size, &attr) && dwarf_formudata(&attr, &size) == 0)
                        found->g_size = size;
                } else if (!found->gobuf && std::strcmp(name, "runtime.gobuf") == 0) {
                    found->gobuf = true;
                    read_members(&die, &found->gobuf_members);
                }
            } while (dwarf_siblingof(&die, &die) == 0);
        }
        off = next;
    }
}

}  // namespace

std::optional<GoOffsets> go_offsets_from_dwarf(const std::string& path, std::string* why_not) {
    auto fail = [&](const std::string& why) {
        if (why_not) *why_not = why;
        return std::nullopt;
    };
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(path + ": " + std::strerror(errno));
    Dwarf* dw = dwarf_begin(fd, DWARF_C_READ);
    if (!dw) {
        close(fd);
        return fail("no DWARF");
    }
    Found found;
    scan(dw, &found);
    dwarf_end(dw);
    close(fd);
    if (!found.g || !found.gobuf) return fail("DWARF has no runtime.g / runtime.gobuf");

    GoOffsets o;
    std::string missing;
    auto need = [&](const Members& m, const char* name, uint64_t* out) {
        auto it = m.find(name);
        if (it == m.end()) missing += std::string(missing.empty() ? "" : ", ") + name;
        else *out = it->second;
    };
    need(found.g_members, "goid", &o.goid);
    need(found.g_members, "atomicstatus", &o.atomicstatus);
    need(found.g_members, "waitsince", &o.waitsince);
    need(found.g_members, "waitreason", &o.waitreason);
    need(found.g_members, "gopc", &o.gopc);
    need(found.g_members, "startpc", &o.startpc);
    uint64_t sched = 0, sp = 0, pc = 0, bp = 0;
    need(found.g_members, "sched", &sched);
    need(found.gobuf_members, "sp", &sp);
    need(found.gobuf_members, "pc", &pc);
    need(found.gobuf_members, "bp", &bp);
    if (!missing.empty()) return fail("DWARF runtime.g lacks " + missing);
    o.sched_sp = sched + sp;
    o.sched_pc = sched + pc;
    o.sched_bp = sched + bp;
    if (auto it = found.g_members.find("parentGoid"); it != found.g_members.end()) o.parent_goid = it->second;
    o.g_size = found.g_size;
    return o;
}

}  // namespace threadleak
