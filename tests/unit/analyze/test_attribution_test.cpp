// --per-test names from frames and from Boost.Test invokers. No root.
#include "analyze/test_attribution.h"

#include <gtest/gtest.h>

#include "capture/test_probe_sites.h"

using namespace threadleak;

namespace {

Stack frames(std::initializer_list<const char*> functions) {
    Stack s;
    for (const char* f : functions) {
        Frame frame;
        if (f) frame.function = f;
        s.push_back(frame);
    }
    return s;
}

}  // namespace

TEST(TestAttribution, GoogleTestBodyNamesSuiteAndTest) {
    EXPECT_EQ(test_from_frames(frames({"pthread_create", nullptr, "Cache_LeaksEvictor_Test::TestBody()",
                                       "testing::Test::Run()"})),
              "Cache.LeaksEvictor");
    EXPECT_EQ(test_from_frames(frames({"ns::inner::Pool_Grows_Test::TestBody()"})), "Pool.Grows");
}

TEST(TestAttribution, GoogleTypedTestBodyNamesSuiteAndTest) {
    EXPECT_EQ(test_from_frames(frames({"gtest_suite_Queue_::Drains<int>::TestBody()"})), "Queue.Drains");
}

TEST(TestAttribution, BoostTestMethodAndInvokerNameSuiteAndCase) {
    EXPECT_EQ(test_from_frames(frames({"cache::leaks_evictor::test_method()"})), "cache/leaks_evictor");
    EXPECT_EQ(test_from_frames(frames({"outer::inner::grows_invoker()"})), "outer/inner/grows");
    EXPECT_EQ(test_from_frames(frames({"top_level_case::test_method()"})), "top_level_case");
}

TEST(TestAttribution, OtherFramesNameNoTest) {
    EXPECT_EQ(test_from_frames(frames({"start_worker", "main", "Widget::TestBody_helper()", "Foo_Test::TestBody()"})),
              std::nullopt)
        << "Foo_Test has no suite/test separator";
    EXPECT_EQ(test_from_frames(frames({"std::function<void ()>::operator()() const"})), std::nullopt);
}

TEST(TestAttribution, ProbeNameWinsThenFramesThenOrdinal) {
    PendingLeak leak;
    const Stack body = frames({"Cache_Evicts_Test::TestBody()"});
    EXPECT_EQ(test_of(leak, body), "Cache.Evicts");
    EXPECT_EQ(test_of(leak, {}), std::nullopt);
    leak.test_ordinal = 3;
    EXPECT_EQ(test_of(leak, {}), "test #3");
    leak.test = "Real.Name";
    EXPECT_EQ(test_of(leak, body), "Real.Name");
}

TEST(BoostTestName, OnlyPlainScopedInvokers) {
    EXPECT_EQ(boost_test_name("cache::leaks_evictor_invoker()"), "cache/leaks_evictor");
    EXPECT_EQ(boost_test_name("case_invoker()"), "case");
    EXPECT_EQ(boost_test_name("(anonymous namespace)::x_invoker()"), "");
    EXPECT_EQ(boost_test_name("tpl<int>::x_invoker()"), "");
    EXPECT_EQ(boost_test_name("x_invoker(int)"), "");
    EXPECT_EQ(boost_test_name("_invoker()"), "");
}

TEST(GoTestName, TheGoStatementsFunctionNamesTheTest) {
    EXPECT_EQ(go_test_from_frames(frames({"example.com/m/pkg.TestLeaks"})), "TestLeaks");
    EXPECT_EQ(go_test_from_frames(frames({"example.com/m/pkg.TestLeaks.func1.2"})), "TestLeaks");
    EXPECT_EQ(go_test_from_frames(frames({"pkg.BenchmarkPool"})), "BenchmarkPool");
    EXPECT_EQ(go_test_from_frames(frames({"pkg.Test"})), "Test");
    EXPECT_EQ(go_test_from_frames(frames({"pkg.Test_underscore"})), "Test_underscore");
    EXPECT_EQ(go_test_from_frames(frames({"pkg.FuzzParse.func3"})), "FuzzParse");
}

TEST(GoTestName, HelpersAndLowercaseAreNoTests) {
    EXPECT_EQ(go_test_from_frames(frames({"pkg.Testify"})), std::nullopt);  // Go runs no such test
    EXPECT_EQ(go_test_from_frames(frames({"pkg.startWorkers"})), std::nullopt);
    EXPECT_EQ(go_test_from_frames(frames({"github.com/x/Testy.v2/pkg.helper"})), std::nullopt);
    EXPECT_EQ(go_test_from_frames(frames({nullptr})), std::nullopt);
    EXPECT_EQ(go_test_from_frames({}), std::nullopt);
}
