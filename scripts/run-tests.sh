#!/usr/bin/env bash
# Runs the unit and integration test binaries, writes JUnit XML to build/test-results/,
# the integration tests once more with every kernel-feature fallback forced, and ends
# with one line "N passed, N failed, N skipped" summed over every run.
# Exits non-zero if any test failed or a binary is missing or crashed; a binary that
# died without writing its XML counts all its tests (at least 1) as failed.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2
export THREADLEAK_ROOT="$root"
results=build/test-results
mkdir -p "$results"

passed=0 failed=0 skipped=0

# Prints "tests failures errors skipped disabled" summed over the <testsuite> elements
# of a gtest XML file (the <testsuites> root has no skipped count in gtest 1.12).
xml_counts() {
  awk '
    /^[[:space:]]*<testsuite[[:space:]]/ {
      for (i = 1; i <= NF; i++)
        if (match($i, /^(tests|failures|errors|skipped|disabled)="[0-9]+"/)) {
          split($i, kv, "\""); sub(/=.*/, "", kv[1]); sum[kv[1]] += kv[2]
        }
    }
    END { printf "%d %d %d %d %d\n", sum["tests"], sum["failures"], sum["errors"], sum["skipped"], sum["disabled"] }
  ' "$1"
}

# run_binary NAME [LABEL [GTEST_FILTER]]: LABEL names the XML file (default NAME).
run_binary() {
  local name=$1 binary=build/$1 xml=$results/${2:-$1}.xml filter=${3:-*}
  if [ ! -x "$binary" ]; then
    echo "error: $binary is missing: build it with make $binary" >&2
    failed=$((failed + 1))
    return
  fi
  rm -f "$xml"
  echo "=== $binary${2:+ ($2)}"
  "$binary" --gtest_brief=1 --gtest_filter="$filter" --gtest_output="xml:$xml"
  local status=$?
  if [ ! -s "$xml" ]; then
    local listed
    listed=$("$binary" --gtest_list_tests --gtest_filter="$filter" 2>/dev/null | grep -c '^  ')
    [ "$listed" -ge 1 ] 2>/dev/null || listed=1
    echo "error: $binary exited with status $status without writing $xml: counting its $listed tests as failed" >&2
    failed=$((failed + listed))
    return
  fi
  local tests failures errors skip disabled
  read -r tests failures errors skip disabled < <(xml_counts "$xml")
  local bad=$((failures + errors))
  if [ "$status" -ne 0 ] && [ "$bad" -eq 0 ]; then
    echo "error: $binary exited with status $status but its XML records no failure: counting 1 failure" >&2
    bad=1
  fi
  failed=$((failed + bad))
  skipped=$((skipped + skip + disabled))
  passed=$((passed + tests - failures - errors - skip - disabled))
}

run_binary unit_tests
unset THREADLEAK_FORCE_FALLBACK
run_binary integration_tests
# Once more with every kernel-feature fallback forced (README, "Requirements"),
# so the paths older kernels take are tested here too. The tests of the CLI,
# packaging, permissions, output formats and timing do not depend on how
# mappings are captured and are left out.
THREADLEAK_FORCE_FALLBACK=vma-iter run_binary integration_tests integration_tests_fallback \
  '-CommandErrorsTest.*:PackagingTest.*:PermissionTest.*:KillTest.*:SignalDetachTest.*:AttachErrorsTest.*:AttachSignalTest.*:AttachScaleTest.*:PrometheusTest.RealServerScrapesEndpoint:TextEscapeTest.*:FlameBrowserTest.*:FlameEscapeTest.*:FlameGraphTest.*:MultiOutputTest.*:PprofTest.*:Ia32Test.*:BlockedForTest.*'

if [ "$(id -u)" != 0 ]; then
  echo "note: not running as root: the integration tests that need BPF were skipped (run: sudo make test)"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
