// Which BPF features the running kernel has, where threadleak has a fallback
// for a missing one: probed in the kernel's BTF at load time (features, not
// version numbers, since distributions backport). THREADLEAK_FORCE_FALLBACK
// forces a fallback on a kernel that has the feature, so each path can be
// tested on one machine.
#pragma once

#include <string>
#include <string_view>

namespace threadleak {

/// The environment variable: a comma-separated list of fallback names.
inline constexpr const char* kForceFallbackEnv = "THREADLEAK_FORCE_FALLBACK";
/// The open-coded VMA iterator (kfuncs bpf_iter_task_vma_*, Linux >= 6.7).
/// Without it, executable mappings are read from /proc/PID/maps instead.
inline constexpr std::string_view kVmaIterFallback = "vma-iter";

struct KernelFeatures {
    bool vma_iter = false;         ///< the BPF programs may list mappings themselves
    bool vma_iter_forced = false;  ///< ... the kernel has it, but the fallback was forced
};

/// The fallbacks named in a THREADLEAK_FORCE_FALLBACK value; throws UserError
/// (exit 64) naming an unknown one and the known names.
struct ForcedFallbacks {
    bool vma_iter = false;
};
ForcedFallbacks parse_forced_fallbacks(std::string_view value);

/// Probes the running kernel (its BTF), then applies THREADLEAK_FORCE_FALLBACK.
KernelFeatures probe_kernel_features();

/// One line for -v: which path was taken for mappings, and why.
std::string describe_mapping_path(const KernelFeatures& features);

}  // namespace threadleak
