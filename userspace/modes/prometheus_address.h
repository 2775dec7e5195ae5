// The value of `attach --prometheus ADDR:PORT`: where /metrics is served.
// Numeric addresses only (and "localhost"), so what is bound is what was
// written: no resolver decides whether the endpoint leaves the host.
#pragma once

#include <string>

namespace threadleak {

struct PrometheusAddress {
    std::string flag_value;  ///< as given, for error messages
    std::string host;        ///< numeric: "127.0.0.1", "::1"
    bool ipv6 = false;
    int port = 0;            ///< 0: the system picks a free one
    bool loopback = false;

    /// The address as civetweb's listening_ports option takes it ("127.0.0.1:9464", "[::1]:9464").
    std::string listen_spec() const;
    /// "http://127.0.0.1:9464/metrics" for `port` (the one bound, when `port` was 0).
    std::string url(int bound_port) const;
};

/// Parses `value`: "127.0.0.1:9464", "[::1]:9464", "localhost:9464" (127.0.0.1),
/// "9464" or ":9464" (127.0.0.1, the default address); port 0 picks one.
/// Throws UserError kUsage for anything else, and for an address that is not
/// loopback (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104) unless `allow_public`;
/// kAddressInUse for an IPv6 address when the HTTP server was built without IPv6.
PrometheusAddress parse_prometheus_address(const std::string& value, bool allow_public);

}  // namespace threadleak
