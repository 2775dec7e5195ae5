// The built-in suppressions: threads that a language runtime or glibc keeps
// until exit by design. On unless --no-default-suppressions.
#pragma once

#include <vector>

#include "analyze/suppressions.h"

namespace threadleak {

/// Every default rule, source "default", each with why it is not a leak.
const std::vector<SuppressionRule>& default_suppressions();

}  // namespace threadleak
