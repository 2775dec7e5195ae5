#include "formats/socket_text.h"

#include <arpa/inet.h>
#include <sys/socket.h>

namespace threadleak {
namespace {

constexpr uint16_t kTcpListen = 10;

std::string end_text(const SocketEnds& s, const std::array<uint8_t, 16>& addr, uint16_t port) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (s.family == AF_INET && inet_ntop(AF_INET, addr.data(), buf, sizeof buf))
        return std::string(buf) + ":" + std::to_string(port);
    if (s.family == AF_INET6 && inet_ntop(AF_INET6, addr.data(), buf, sizeof buf))
        return "[" + std::string(buf) + "]:" + std::to_string(port);
    return "";
}

bool is_inet(const SocketEnds& s) { return s.family == AF_INET || s.family == AF_INET6; }

}  // namespace

std::string socket_family_name(const SocketEnds& s) {
    switch (s.family) {
    case AF_INET: return "inet";
    case AF_INET6: return "inet6";
    case AF_UNIX: return "unix";
    case AF_NETLINK: return "netlink";
    }
    return "family " + std::to_string(s.family);
}

std::string socket_type_name(const SocketEnds& s) {
    switch (s.type) {
    case SOCK_STREAM: return "stream";
    case SOCK_DGRAM: return "dgram";
    case SOCK_SEQPACKET: return "seqpacket";
    case SOCK_RAW: return "raw";
    }
    return "type " + std::to_string(s.type);
}

std::string socket_local_text(const SocketEnds& s) { return end_text(s, s.local, s.local_port); }
std::string socket_remote_text(const SocketEnds& s) { return end_text(s, s.remote, s.remote_port); }

std::string socket_state_name(const SocketEnds& s) {
    if (!is_inet(s) || s.type != SOCK_STREAM) return "";
    static const char* const kStates[] = {"",          "established", "syn_sent", "syn_recv",
                                          "fin_wait1", "fin_wait2",   "time_wait", "close",
                                          "close_wait", "last_ack",   "listen",   "closing"};
    return s.state < std::size(kStates) ? kStates[s.state] : "state " + std::to_string(s.state);
}

std::string socket_text(const SocketEnds& s) {
    if (!is_inet(s)) return socket_family_name(s) + " socket";
    const std::string proto = s.type == SOCK_STREAM ? "tcp" : s.type == SOCK_DGRAM ? "udp" : socket_type_name(s);
    if (s.type == SOCK_STREAM && s.state == kTcpListen) return proto + " listening on " + socket_local_text(s);
    std::string out = proto + " " + socket_local_text(s);
    if (s.remote_port != 0) out += " to " + socket_remote_text(s);
    if (const std::string state = socket_state_name(s); !state.empty()) out += ", " + state;
    return out;
}

}  // namespace threadleak
