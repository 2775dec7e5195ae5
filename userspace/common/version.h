// threadleak's version, defined once in the Makefile (VERSION) and compiled
// into version.cpp alone, so a new version rebuilds one file.
#pragma once

namespace threadleak {

/// "0.3.0": what --version prints and what reports name as their producer.
const char* threadleak_version();

}  // namespace threadleak
