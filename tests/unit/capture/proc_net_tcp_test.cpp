// Rows of /proc/net/tcp and tcp6 as the kernel prints them: the socket looked
// up by inode, its addresses in each word's host order, its state.
#include "capture/proc_net_tcp.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "formats/socket_text.h"

namespace threadleak {
namespace {

constexpr const char* kTcp =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0\n"
    "   1: 0100007F:9094 0100007F:1538 01 00000000:00000000 00:00000000 00000000     0        0 4243 1 0\n";

constexpr const char* kTcp6 =
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr "
    "tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 "
    "00:00000000 00000000     0        0 5151 1 0\n";

TEST(ProcNetTcp, AConnectedSocketByItsInode) {
    const std::optional<SocketEnds> s = find_tcp_socket(kTcp, 4243, false);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->family, AF_INET);
    EXPECT_EQ(s->state, 1);
    EXPECT_EQ(socket_text(*s), "tcp 127.0.0.1:37012 to 127.0.0.1:5432, established");
}

TEST(ProcNetTcp, AListenerAndAnIpv6One) {
    const std::optional<SocketEnds> listener = find_tcp_socket(kTcp, 4242, false);
    ASSERT_TRUE(listener);
    EXPECT_EQ(socket_text(*listener), "tcp listening on 127.0.0.1:8080");
    const std::optional<SocketEnds> v6 = find_tcp_socket(kTcp6, 5151, true);
    ASSERT_TRUE(v6);
    EXPECT_EQ(socket_local_text(*v6), "[::1]:8081");
    EXPECT_EQ(socket_state_name(*v6), "listen");
}

TEST(ProcNetTcp, AnInodeNotInTheTableIsNotFound) {
    EXPECT_FALSE(find_tcp_socket(kTcp, 9999, false));
    EXPECT_FALSE(find_tcp_socket("", 4242, false));
    EXPECT_FALSE(find_tcp_socket("header\n   0: garbage\n", 4242, false));
}

}  // namespace
}  // namespace threadleak
