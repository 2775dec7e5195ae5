// `threadleak attach -p PID` / `--all`: observe running processes without
// stopping them, and say which creation sites leak threads (growth verdict),
// which threads are parked, and how long each site's threads live.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "analyze/growth_verdict.h"
#include "modes/observe_options.h"

namespace threadleak {

struct AttachOptions : ObserveOptions {
    /// The sampler walks every task of the host: once a second is enough here,
    /// as a sleep's start comes from when the thread last ran, not from the sample.
    AttachOptions() { sample_interval = std::chrono::seconds(1); }
    std::vector<int> pids;                  ///< -p
    bool all = false;                       ///< --all
    std::optional<std::string> comm_glob;   ///< --comm (with --all)
    std::optional<std::string> cgroup;      ///< --cgroup (with --all)
    std::optional<std::chrono::nanoseconds> duration;  ///< nullopt: until Ctrl-C / SIGTERM
    std::optional<std::chrono::nanoseconds> interval;  ///< a report every interval
    /// How often each site's series gets a point when --interval is not given.
    static constexpr std::chrono::seconds kDefaultPointInterval{1};
    std::chrono::nanoseconds threshold = std::chrono::seconds(10);  ///< --threshold
    bool baseline = false;                  ///< --baseline: ignore threads alive at attach
    GrowthRule rule;                        ///< --min-observation sets rule.min_observation
    std::optional<std::string> prometheus;  ///< --prometheus ADDR:PORT
    bool prometheus_public = false;
    size_t prometheus_sites = 20;           ///< --prometheus-sites
};

/// Runs the whole mode; returns the exit code. Throws UserError.
int attach_mode(const AttachOptions& options);

}  // namespace threadleak
