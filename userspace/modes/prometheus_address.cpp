#include "modes/prometheus_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>

#include <civetweb.h>

#include "common/errors.h"
#include "formats/text_escape.h"

namespace threadleak {
namespace {

constexpr const char* kForms = "give ADDR:PORT, e.g. 127.0.0.1:9464, [::1]:9464 or localhost:9464 (port 0 picks a free one)";

UserError usage(const std::string& value, const std::string& why) {
    return UserError(exit_code::kUsage, "--prometheus " + escape_text(value) + ": " + why);
}

/// A decimal port, 0 to 65535; -1 when `text` is not one.
int parse_port(const std::string& text) {
    if (text.empty() || text.size() > 5) return -1;
    int port = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return -1;
        port = port * 10 + (c - '0');
    }
    return port <= 65535 ? port : -1;
}

bool ipv4_loopback(const in_addr& a) { return (ntohl(a.s_addr) >> 24) == 127; }

bool ipv6_loopback(const in6_addr& a) {
    if (IN6_IS_ADDR_LOOPBACK(&a)) return true;
    return IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127;
}

}  // namespace

std::string PrometheusAddress::listen_spec() const {
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string PrometheusAddress::url(int bound_port) const {
    return "http://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(bound_port) + "/metrics";
}

PrometheusAddress parse_prometheus_address(const std::string& value, bool allow_public) {
    PrometheusAddress out;
    out.flag_value = value;
    std::string host, port_text;
    if (!value.empty() && value.front() == '[') {
        const size_t close = value.find("]:");
        if (close == std::string::npos) throw usage(value, std::string("an IPv6 address in brackets needs a port after it: ") + kForms);
        host = value.substr(1, close - 1);
        port_text = value.substr(close + 2);
        out.ipv6 = true;
    } else {
        const size_t colon = value.rfind(':');
        if (colon != std::string::npos) {
            host = value.substr(0, colon);
            port_text = value.substr(colon + 1);
        } else {
            port_text = value;
        }
        if (host.find(':') != std::string::npos)
            throw usage(value, "write an IPv6 address in brackets, e.g. [::1]:9464");
    }
    out.port = parse_port(port_text);
    if (out.port < 0) throw usage(value, "'" + escape_text(port_text) + "' is not a port (0 to 65535): " + kForms);

    if (out.ipv6) {
        in6_addr a6{};
        if (inet_pton(AF_INET6, host.c_str(), &a6) != 1)
            throw usage(value, "'" + escape_text(host) + "' is not an IPv6 address: " + kForms);
        char text[INET6_ADDRSTRLEN];
        out.host = inet_ntop(AF_INET6, &a6, text, sizeof text);
        out.loopback = ipv6_loopback(a6);
    } else {
        if (host.empty() || strcasecmp(host.c_str(), "localhost") == 0) host = "127.0.0.1";
        in_addr a4{};
        if (inet_pton(AF_INET, host.c_str(), &a4) != 1)
            throw usage(value, "'" + escape_text(host) +
                                   "' is not a numeric address (host names are not resolved, so what is bound is "
                                   "what you wrote): " + kForms);
        out.host = host;
        out.loopback = ipv4_loopback(a4);
    }
    if (!out.loopback && !allow_public)
        throw usage(value,
                    "not a loopback address, and /metrics names the target's functions and files: pass "
                    "--prometheus-public to serve it beyond this host");
    // Debian's civetweb is built without IPv6 (mg_check_feature bit 8, USE_IPV6).
    if (out.ipv6 && mg_check_feature(8) == 0)
        throw UserError(exit_code::kAddressInUse,
                        "--prometheus " + escape_text(value) +
                            ": cannot listen on IPv6: the civetweb library threadleak uses was built without "
                            "IPv6; use 127.0.0.1:" + std::to_string(out.port));
    return out;
}

}  // namespace threadleak
