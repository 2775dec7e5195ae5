// --per-test: where a test binary's framework runs each test, so that a
// uprobe and a uretprobe there mark the test's beginning and end. Found in the
// symbol tables of the executable and of the libraries it links directly
// (a static or a shared GoogleTest or Boost.Test), before it runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace threadleak {

struct TestProbeSite {
    std::string file;       ///< the ELF file that defines the function
    uint64_t offset = 0;    ///< file offset of its first instruction
    uint32_t kind = 0;      ///< TL_TEST_PROBE_GTEST or TL_TEST_PROBE_NAMED (bpf/events.h)
    std::string test;       ///< TL_TEST_PROBE_NAMED: the test it runs ("suite/case")
    std::string function;   ///< the function, demangled (for -v)
};

/// Every site in `exe` and the libraries it needs (its DT_NEEDED entries,
/// found as the dynamic loader would: RPATH/RUNPATH, LD_LIBRARY_PATH,
/// /etc/ld.so.conf, the default directories). Empty when it is no test binary
/// of a known framework, or its symbols are stripped.
std::vector<TestProbeSite> find_test_probe_sites(const std::string& exe);

/// Boost.Test's name for the test its invoker runs:
/// "suite::inner::case_invoker()" -> "suite/inner/case"; "" if it is no invoker.
std::string boost_test_name(const std::string& demangled_invoker);

}  // namespace threadleak
