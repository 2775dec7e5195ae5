// --per-test: where a test binary's framework runs each test, so that a
// uprobe and a uretprobe there mark the test's beginning and end. Found in the
// symbol tables of the executable and of the libraries it links directly
// (a static or a shared GoogleTest or Boost.Test), before it runs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "capture/capture_types.h"

namespace threadleak {

struct TestProbeSite {
    std::string file;       ///< the ELF file that defines the function
    uint64_t offset = 0;    ///< file offset of its first instruction
    uint32_t kind = 0;      ///< TL_TEST_PROBE_* (bpf/events.h)
    std::string test;       ///< TL_TEST_PROBE_NAMED: the test it runs ("suite/case")
    std::string function;   ///< the function, demangled (for -v)
};

struct TestProbes {
    std::vector<TestProbeSite> sites;        ///< where to attach: one or two per framework
    /// Boost.Test's per-case invokers (kind TL_TEST_PROBE_NAMED, not probed:
    /// registering one uprobe costs ~65 ms here, too much for thousands of
    /// cases): what names the case a TL_TEST_PROBE_BOOST probe saw start.
    std::vector<TestProbeSite> boost_cases;
};

/// Every site in `exe` and the libraries it needs (its DT_NEEDED entries,
/// found as the dynamic loader would: RPATH/RUNPATH, LD_LIBRARY_PATH,
/// /etc/ld.so.conf, the default directories). Empty when it is no test binary
/// of a known framework, or its symbols are stripped.
TestProbes find_test_probe_sites(const std::string& exe);

/// Names Boost.Test cases from the address of their invoker in a live
/// process, through its /proc/PID/maps (file identity + offset).
class BoostCaseNames {
public:
    explicit BoostCaseNames(const std::vector<TestProbeSite>& cases);
    /// The case whose invoker is at `address` in `pid`; nullopt when it is
    /// none (the framework ran a fixture's setup) or the process is gone.
    std::optional<std::string> name(int pid, uint64_t address);

private:
    std::optional<std::string> lookup(const std::vector<Mapping>& maps, uint64_t address) const;
    /// (kernel dev, inode, file offset) -> case name
    std::map<std::tuple<uint32_t, uint64_t, uint64_t>, std::string> by_location_;
    std::map<int, std::vector<Mapping>> maps_;  ///< per pid, reread when an address is not in them
};

/// Boost.Test's name for the test its invoker runs:
/// "suite::inner::case_invoker()" -> "suite/inner/case"; "" if it is no invoker.
std::string boost_test_name(const std::string& demangled_invoker);

}  // namespace threadleak
