// Helpers of the ProcessImage tests, defined in process_image_test.cpp: the
// distinctive functions must stay there, since tests assert their file:line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "stacks/process_image.h"

namespace pi_test {

inline constexpr size_t kStackCopy = 16 * 1024;
extern int g_inner_call_line;
extern int g_outer_call_line;

/// End of the /proc/self/maps mapping that holds `addr`, or 0.
uint64_t mapping_end(uint64_t addr);
/// Fills `snap` with this thread's registers and stack, from inside it.
void capture_snapshot(threadleak::StackSnapshot& snap);
void inner_distinctive_fn(threadleak::StackSnapshot& snap);
void outer_distinctive_fn(threadleak::StackSnapshot& snap);
std::string describe(const threadleak::Stack& stack);
/// Index of the first frame whose function contains `name`, or -1.
int find_frame(const threadleak::Stack& stack, const std::string& name);
bool ends_with(const std::string& s, const std::string& suffix);
/// `symbol` as defined in the already loaded `library`, not an interposer.
uint64_t addr_of(const char* symbol, const char* library = "libc.so.6");
/// Load base dladdr() reports for the object holding `addr`.
uint64_t object_base(uint64_t addr);
std::string self_exe();
bool self_is_pie();

}  // namespace pi_test
