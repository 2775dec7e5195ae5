// --per-test: which test a leaked thread belongs to. The test boundaries seen
// by the probes (capture/test_probe_sites) name it; where no probe could be
// placed (a stripped framework, an unknown one) the test body in the thread's
// creation stack does, the way a user reading the stack would.
#pragma once

#include <optional>
#include <string>

#include "stacks/stack_types.h"
#include "track/thread_tracker.h"

namespace threadleak {

/// The test whose body is in `created_by` (innermost first):
/// GoogleTest "Suite_Name_Test::TestBody()" -> "Suite.Name" (typed tests
/// "gtest_suite_Suite_::Name<T>::TestBody()" too); Boost.Test
/// "suite::name::test_method()" or "suite::name_invoker()" -> "suite/name".
std::optional<std::string> test_from_frames(const Stack& created_by);

/// A goroutine's test, from the function holding its `go` statement, as Go's
/// `testing` names it: "pkg.TestLeaks.func1" -> "TestLeaks" (Test, Benchmark,
/// Example, Fuzz functions); nullopt when that function is no test's. (A go
/// statement in a helper the test calls names no test: Go before 1.21 does
/// not keep a goroutine's parent.)
std::optional<std::string> go_test_from_frames(const Stack& created_by);

/// The probe's name, else the frames', else "test #N" when it was created
/// during the Nth test of its process and nothing named that test; nullopt
/// when it was created outside every test.
std::optional<std::string> test_of(const PendingLeak& leak, const Stack& created_by);

}  // namespace threadleak
