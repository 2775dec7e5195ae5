#include "modes/metrics_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <CivetServer.h>
#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>

#include "common/errors.h"
#include "formats/prometheus_metrics.h"
#include "formats/text_escape.h"

namespace threadleak {

class MetricsEndpoint::LatestFamilies : public prometheus::Collectable {
public:
    std::vector<prometheus::MetricFamily> Collect() const override {
        std::lock_guard lock(mutex_);
        return families_;
    }
    void replace(std::vector<prometheus::MetricFamily> families) {
        std::lock_guard lock(mutex_);
        families_.swap(families);
    }  // the old families go with `families`, once the lock is released

private:
    mutable std::mutex mutex_;
    std::vector<prometheus::MetricFamily> families_;
};

namespace {

// civetweb reports why it did not start only through its log callback, which
// has no user pointer: the thread that starts it collects them here.
thread_local std::string* civetweb_log = nullptr;

int collect_civetweb_log(const mg_connection*, const char* message) {
    if (civetweb_log != nullptr) {
        if (!civetweb_log->empty()) *civetweb_log += "; ";
        *civetweb_log += message;
    }
    return 1;  // handled: civetweb writes nothing to stderr or a file
}

/// Calls `use(fd, sockaddr, length)` with a fresh TCP socket and `host`:`port`;
/// returns its result, or -1 with errno set.
template <typename Use>
int with_socket(bool ipv6, const std::string& host, int port, Use use) {
    const int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int result;
    if (ipv6) {
        sockaddr_in6 sa{};
        sa.sin6_family = AF_INET6;
        sa.sin6_port = htons(static_cast<uint16_t>(port));
        inet_pton(AF_INET6, host.c_str(), &sa.sin6_addr);
        result = use(fd, reinterpret_cast<const sockaddr*>(&sa), socklen_t{sizeof sa});
    } else {
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(static_cast<uint16_t>(port));
        inet_pton(AF_INET, host.c_str(), &sa.sin_addr);
        result = use(fd, reinterpret_cast<const sockaddr*>(&sa), socklen_t{sizeof sa});
    }
    const int saved = errno;
    close(fd);
    errno = saved;
    return result;
}

/// errno of binding `address` as civetweb does (SO_REUSEADDR), 0 if that works now.
int bind_errno(const PrometheusAddress& address) {
    const int result =
        with_socket(address.ipv6, address.host, address.port, [](int fd, const sockaddr* sa, socklen_t len) {
            const int on = 1;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
            return bind(fd, sa, len) == 0 ? listen(fd, 1) : -1;
        });
    return result == 0 ? 0 : errno;
}

UserError bind_failure(const PrometheusAddress& address, const std::string& civetweb_says) {
    const std::string head = "--prometheus " + escape_text(address.flag_value) + ": ";
    const int error = bind_errno(address);
    if (error == EADDRINUSE)
        return UserError(exit_code::kAddressInUse,
                         head + "address in use (another program listens there): choose a free port, or port 0 to "
                                "let the system pick one");
    if (error == EADDRNOTAVAIL)
        return UserError(exit_code::kAddressInUse, head + "cannot listen there: " + strerror(error) +
                                                       " (not an address of this host)");
    if (error != 0) return UserError(exit_code::kAddressInUse, head + "cannot listen there: " + strerror(error));
    return UserError(exit_code::kAddressInUse,
                     head + "the HTTP server did not start" +
                         (civetweb_says.empty() ? "" : ": " + escape_text(civetweb_says)));
}

}  // namespace

void check_prometheus_address(const std::string& host_port, bool allow_public) {
    parse_prometheus_address(host_port, allow_public);
}

MetricsEndpoint::MetricsEndpoint(const std::string& host_port, bool allow_public, size_t max_sites)
    : max_sites_(max_sites), latest_(std::make_shared<LatestFamilies>()) {
    const PrometheusAddress address = parse_prometheus_address(host_port, allow_public);
    // Two workers: a scrape is not held up by one slow client, whose request
    // times out after 10 s. No document_root: /metrics is all it serves.
    const std::vector<std::string> options{
        "listening_ports", address.listen_spec(), "num_threads", "2", "request_timeout_ms", "10000",
    };
    CivetCallbacks callbacks;
    callbacks.log_message = collect_civetweb_log;
    std::string log;
    civetweb_log = &log;
    try {
        exposer_ = std::make_unique<prometheus::Exposer>(options, &callbacks);
    } catch (const std::exception&) {
        civetweb_log = nullptr;
        throw bind_failure(address, log);
    }
    civetweb_log = nullptr;
    exposer_->RegisterCollectable(latest_);
    const std::vector<int> ports = exposer_->GetListeningPorts();
    wake_port_ = ports.empty() ? address.port : ports.front();
    url_ = address.url(wake_port_);
    wake_ipv6_ = address.ipv6;
    // The wildcard addresses are reached through loopback.
    wake_host_ = address.host == "0.0.0.0" ? "127.0.0.1" : address.host == "::" ? "::1" : address.host;
}

// civetweb's master thread sees the stop flag only when its poll of the
// listening socket returns, up to 2 s later (SOCKET_TIMEOUT_QUANTUM, fixed at
// its build): connecting to it every 10 ms makes the poll return at once.
MetricsEndpoint::~MetricsEndpoint() {
    std::atomic<bool> stopped{false};
    std::thread knocker([&] {
        while (!stopped.load()) {
            with_socket(wake_ipv6_, wake_host_, wake_port_,
                        [](int fd, const sockaddr* sa, socklen_t len) { return connect(fd, sa, len); });
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    });
    exposer_.reset();
    stopped = true;
    knocker.join();
}

void MetricsEndpoint::publish(const Report& report) { latest_->replace(site_metrics(report, max_sites_)); }

}  // namespace threadleak
