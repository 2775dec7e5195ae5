#include "common/version.h"

#ifndef THREADLEAK_VERSION
#error "THREADLEAK_VERSION is set by the Makefile (VERSION), its one definition"
#endif

namespace threadleak {

const char* threadleak_version() { return THREADLEAK_VERSION; }

}  // namespace threadleak
