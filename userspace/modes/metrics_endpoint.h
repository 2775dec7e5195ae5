// `attach --prometheus ADDR:PORT`: serves the latest report's site metrics
// (formats/prometheus_metrics.h) on http://ADDR:PORT/metrics, with
// prometheus-cpp's Exposer (civetweb, bound to that one address). Each scrape
// reads the families of the last publish(), so a site that left the report has
// no series left behind.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "modes/prometheus_address.h"
#include "report/report.h"

namespace prometheus {
class Exposer;
}

namespace threadleak {

/// --prometheus-sites default: sites with series of their own.
inline constexpr size_t kDefaultPrometheusSites = 20;

/// Throws the UserError the MetricsEndpoint constructor would for a bad
/// `host_port` (parse_prometheus_address), binding nothing: for the command
/// line, so that a bad value fails before BPF is loaded.
void check_prometheus_address(const std::string& host_port, bool allow_public);

class MetricsEndpoint {
public:
    /// Listens on `host_port` (parse_prometheus_address) and serves /metrics,
    /// empty until the first publish(). Throws UserError: kUsage for a bad or
    /// (without `allow_public`) non-loopback address; kAddressInUse when the
    /// address cannot be bound (in use, not an address of this host).
    MetricsEndpoint(const std::string& host_port, bool allow_public, size_t max_sites = kDefaultPrometheusSites);
    /// Stops the HTTP server: its threads are joined before it returns.
    ~MetricsEndpoint();
    MetricsEndpoint(const MetricsEndpoint&) = delete;
    MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

    /// Replaces what /metrics serves with `report`'s families. Thread-safe
    /// against scrapes; a scrape sees the old families or the new, whole.
    void publish(const Report& report);

    /// "http://127.0.0.1:9464/metrics": the port actually bound (port 0 picks one).
    std::string url() const { return url_; }

private:
    class LatestFamilies;  // the Collectable the Exposer scrapes
    size_t max_sites_;
    std::string url_;
    // Where the destructor connects to wake civetweb's master thread.
    bool wake_ipv6_ = false;
    std::string wake_host_;
    int wake_port_ = 0;
    // Declared before the exposer, so it is destroyed after the threads that read it.
    std::shared_ptr<LatestFamilies> latest_;
    std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace threadleak
