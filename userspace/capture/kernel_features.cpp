#include "capture/kernel_features.h"

#include <bpf/btf.h>

#include <cstdlib>

#include "common/errors.h"

namespace threadleak {
namespace {

/// True if the kernel's BTF declares every function in `names` (kfuncs are
/// BTF_KIND_FUNC entries of vmlinux; a kernel without them has no entry).
bool kernel_has_functions(std::initializer_list<const char*> names) {
    btf* vmlinux = btf__load_vmlinux_btf();
    if (!vmlinux) return false;  // no BTF: check_bpf_prerequisites() says so first
    bool all = true;
    for (const char* name : names) all = all && btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) >= 0;
    btf__free(vmlinux);
    return all;
}

}  // namespace

ForcedFallbacks parse_forced_fallbacks(std::string_view value) {
    ForcedFallbacks forced;
    while (!value.empty()) {
        const size_t comma = value.find(',');
        const std::string_view name = value.substr(0, comma);
        if (name == kVmaIterFallback)
            forced.vma_iter = true;
        else if (!name.empty())
            throw UserError(exit_code::kUsage, std::string(kForceFallbackEnv) + " names an unknown fallback '" +
                                                   std::string(name) + "'; the known one is " +
                                                   std::string(kVmaIterFallback));
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return forced;
}

KernelFeatures probe_kernel_features() {
    const char* env = std::getenv(kForceFallbackEnv);
    const ForcedFallbacks forced = parse_forced_fallbacks(env ? env : "");
    KernelFeatures f;
    const bool has_vma_iter =
        kernel_has_functions({"bpf_iter_task_vma_new", "bpf_iter_task_vma_next", "bpf_iter_task_vma_destroy"});
    f.vma_iter = has_vma_iter && !forced.vma_iter;
    f.vma_iter_forced = has_vma_iter && forced.vma_iter;
    return f;
}

std::string describe_mapping_path(const KernelFeatures& f) {
    if (f.vma_iter) return "executable mappings listed in BPF (open-coded VMA iterator)";
    return std::string("executable mappings read from /proc/PID/maps when an address space is new or changed (") +
           (f.vma_iter_forced ? std::string(kForceFallbackEnv) + "=" + std::string(kVmaIterFallback)
                              : "this kernel has no bpf_iter_task_vma kfuncs, Linux < 6.7") +
           "); a process that exits before they are read loses its symbols";
}

}  // namespace threadleak
