// THREADLEAK_FORCE_FALLBACK: which fallbacks a value forces, and the error for a typo.
#include "capture/kernel_features.h"

#include <gtest/gtest.h>

#include "common/errors.h"

using namespace threadleak;

TEST(KernelFeatures, EmptyValueForcesNothing) {
    EXPECT_FALSE(parse_forced_fallbacks("").vma_iter);
    EXPECT_FALSE(parse_forced_fallbacks(",").vma_iter);
}

TEST(KernelFeatures, VmaIterIsForcedAloneOrInAList) {
    EXPECT_TRUE(parse_forced_fallbacks("vma-iter").vma_iter);
    EXPECT_TRUE(parse_forced_fallbacks("vma-iter,").vma_iter);
    EXPECT_TRUE(parse_forced_fallbacks(",vma-iter,vma-iter").vma_iter);
}

TEST(KernelFeatures, UnknownNameIsAUsageErrorNamingTheKnownOnes) {
    try {
        parse_forced_fallbacks("vma-iter,vmaiter");
        FAIL() << "an unknown fallback was accepted";
    } catch (const UserError& e) {
        EXPECT_EQ(e.exit_code(), exit_code::kUsage);
        EXPECT_STREQ(e.what(),
                     "THREADLEAK_FORCE_FALLBACK names an unknown fallback 'vmaiter'; the known one is vma-iter");
    }
}

TEST(KernelFeatures, VerboseLineSaysWhichPathAndWhy) {
    EXPECT_EQ(describe_mapping_path({true, false}), "executable mappings listed in BPF (open-coded VMA iterator)");
    EXPECT_NE(describe_mapping_path({false, true}).find("/proc/PID/maps"), std::string::npos);
    EXPECT_NE(describe_mapping_path({false, true}).find("THREADLEAK_FORCE_FALLBACK=vma-iter"), std::string::npos);
    EXPECT_NE(describe_mapping_path({false, false}).find("no bpf_iter_task_vma kfuncs"), std::string::npos);
}
