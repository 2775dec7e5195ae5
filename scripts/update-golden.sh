#!/usr/bin/env bash
# Rewrites tests/unit/formats/golden/* from the current formats (tests/unit/formats/golden_test.cpp); review the diff.
cd "$(dirname "${BASH_SOURCE[0]}")/.." && make -j2 build/unit_tests && THREADLEAK_ROOT="$PWD" THREADLEAK_UPDATE_GOLDEN=1 build/unit_tests --gtest_filter='Golden*'
