// attach --prometheus ADDR:PORT: which values are accepted, what they bind,
// and the one-line errors for the rest.
#include "modes/prometheus_address.h"

#include <civetweb.h>
#include <gtest/gtest.h>

#include "common/errors.h"
#include "modes/metrics_endpoint.h"

using namespace threadleak;

namespace {

/// The UserError `value` is refused with: exit code and message; {0, ""} if accepted.
std::pair<int, std::string> Refusal(const std::string& value, bool allow_public = false) {
    try {
        check_prometheus_address(value, allow_public);
        return {0, ""};
    } catch (const UserError& e) {
        return {e.exit_code(), e.what()};
    }
}

}  // namespace

TEST(PrometheusAddress, LoopbackFormsAreAccepted) {
    const PrometheusAddress v4 = parse_prometheus_address("127.0.0.1:9464", false);
    EXPECT_EQ(v4.host, "127.0.0.1");
    EXPECT_EQ(v4.port, 9464);
    EXPECT_FALSE(v4.ipv6);
    EXPECT_EQ(v4.listen_spec(), "127.0.0.1:9464");
    EXPECT_EQ(v4.url(9464), "http://127.0.0.1:9464/metrics");

    EXPECT_EQ(parse_prometheus_address("localhost:0", false).listen_spec(), "127.0.0.1:0");
    EXPECT_EQ(parse_prometheus_address("LocalHost:80", false).host, "127.0.0.1");
    EXPECT_EQ(parse_prometheus_address("9464", false).listen_spec(), "127.0.0.1:9464");  // the default address
    EXPECT_EQ(parse_prometheus_address(":9464", false).listen_spec(), "127.0.0.1:9464");
    EXPECT_EQ(parse_prometheus_address("127.1.2.3:65535", false).port, 65535);  // all of 127/8 is loopback
}

TEST(PrometheusAddress, Ipv6LoopbackIsParsedAndServedOnlyWhenCivetwebHasIpv6) {
    const auto [code, message] = Refusal("[::1]:9464");
    if (mg_check_feature(8) != 0) {
        EXPECT_EQ(code, 0) << message;
        const PrometheusAddress v6 = parse_prometheus_address("[0:0::1]:9464", false);
        EXPECT_EQ(v6.host, "::1");
        EXPECT_EQ(v6.listen_spec(), "[::1]:9464");
        EXPECT_EQ(v6.url(9464), "http://[::1]:9464/metrics");
    } else {
        EXPECT_EQ(code, exit_code::kAddressInUse);
        EXPECT_EQ(message,
                  "--prometheus [::1]:9464: cannot listen on IPv6: the civetweb library threadleak uses was built "
                  "without IPv6; use 127.0.0.1:9464");
    }
}

TEST(PrometheusAddress, PublicAddressesNeedTheFlag) {
    EXPECT_EQ(Refusal("0.0.0.0:9464"),
              std::make_pair(exit_code::kUsage,
                             std::string("--prometheus 0.0.0.0:9464: not a loopback address, and /metrics names the "
                                         "target's functions and files: pass --prometheus-public to serve it beyond "
                                         "this host")));
    EXPECT_EQ(Refusal("192.0.2.7:9464").first, exit_code::kUsage);
    EXPECT_EQ(Refusal("[::ffff:10.0.0.1]:9464").first, exit_code::kUsage);
    EXPECT_EQ(Refusal("0.0.0.0:9464", true).first, 0);
    EXPECT_EQ(Refusal("192.0.2.7:9464", true).first, 0);
    EXPECT_FALSE(parse_prometheus_address("192.0.2.7:1", true).loopback);
}

TEST(PrometheusAddress, JunkIsAUsageErrorNamingTheForms) {
    for (const char* junk : {"", "abc", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:-1", "127.0.0.1:94a",
                             "127.1:9464", "256.0.0.1:9464", "example.com:9464", "::1:9464", "[::1]", "[::1:9464",
                             "[nope]:9464", "127.0.0.1:9464 "}) {
        const auto [code, message] = Refusal(junk, true);
        EXPECT_EQ(code, exit_code::kUsage) << "'" << junk << "': " << message;
        EXPECT_EQ(message.rfind(std::string("--prometheus ") + junk + ": ", 0), 0u) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
    EXPECT_EQ(Refusal("example.com:9464").second,
              "--prometheus example.com:9464: 'example.com' is not a numeric address (host names are not resolved, "
              "so what is bound is what you wrote): give ADDR:PORT, e.g. 127.0.0.1:9464, [::1]:9464 or "
              "localhost:9464 (port 0 picks a free one)");
    EXPECT_EQ(Refusal("::1:9464").second, "--prometheus ::1:9464: write an IPv6 address in brackets, e.g. [::1]:9464");
    EXPECT_EQ(Refusal("bad\n\x1b[2J:1").second.find('\n'), std::string::npos);  // the value is escaped
}
