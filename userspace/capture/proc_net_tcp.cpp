#include "capture/proc_net_tcp.h"

#include <sys/socket.h>

#include <cstdlib>
#include <sstream>
#include <string>

#include "capture/proc_text.h"

namespace threadleak {
namespace {

/// "0100007F:1F90" (IPv4) or 32 hex digits and a port (IPv6): the kernel prints
/// each 32-bit word of the address in host (little-endian) order.
bool parse_end(const std::string& text, bool v6, std::array<uint8_t, 16>* addr, uint16_t* port) {
    const size_t colon = text.find(':');
    const size_t digits = v6 ? 32 : 8;
    if (colon != digits) return false;
    for (size_t word = 0; word < digits / 8; word++) {
        const uint32_t v = static_cast<uint32_t>(std::strtoul(text.substr(word * 8, 8).c_str(), nullptr, 16));
        for (int b = 0; b < 4; b++) (*addr)[word * 4 + b] = static_cast<uint8_t>(v >> (8 * b));
    }
    *port = static_cast<uint16_t>(std::strtoul(text.c_str() + colon + 1, nullptr, 16));
    return true;
}

}  // namespace

std::optional<SocketEnds> find_tcp_socket(std::string_view table, uint64_t ino, bool v6) {
    std::istringstream in{std::string(table)};
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
        // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
        std::istringstream row(line);
        std::string sl, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
        if (!(row >> sl >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode))
            continue;
        if (std::strtoull(inode.c_str(), nullptr, 10) != ino) continue;
        SocketEnds ends;
        ends.family = v6 ? AF_INET6 : AF_INET;
        ends.type = SOCK_STREAM;
        ends.state = static_cast<uint16_t>(std::strtoul(state.c_str(), nullptr, 16));
        if (!parse_end(local, v6, &ends.local, &ends.local_port) ||
            !parse_end(remote, v6, &ends.remote, &ends.remote_port))
            return std::nullopt;
        return ends;
    }
    return std::nullopt;
}

std::optional<SocketEnds> tcp_socket(int pid, uint64_t ino) {
    const std::string net = "/proc/" + std::to_string(pid) + "/net/";
    if (auto ends = find_tcp_socket(read_proc_text(net + "tcp"), ino, false)) return ends;
    return find_tcp_socket(read_proc_text(net + "tcp6"), ino, true);
}

}  // namespace threadleak
