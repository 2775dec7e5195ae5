#!/usr/bin/env bash
# Installs the Debian packages threadleak needs to build and test. Idempotent and
# quiet when everything is already there.
set -euo pipefail
packages=(
  make g++ clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libdw-dev elfutils
  libcli11-dev nlohmann-json3-dev libgtest-dev libboost-test-dev libbenchmark-dev binutils procps
  libiberty-dev  # binutils' demangler: C++, Rust legacy and Rust v0 names
  nettle-dev     # SHA-256 of the html report's script and style, for its Content-Security-Policy
  libzmq3-dev librdkafka-dev  # real-library fixtures (tests/integration/real_library_test.cpp): libzmq and librdkafka background threads
  help2man  # build/threadleak.1 from --help
  libprotobuf-dev protobuf-compiler  # --format pprof: profile.proto compiled by protoc, written with libprotobuf
  prometheus-cpp-dev  # attach --prometheus: the /metrics endpoint (its HTTP server and text exposition)
  prometheus  # tests: a real Prometheus server scrapes attach --prometheus
  dpkg-dev  # dpkg-shlibdeps: the .deb's Depends (make deb)
  man-db    # man -l in tests/integration/packaging_test.cpp
  libxml2-utils  # xmllint: the junit format's reports checked against docs/junit.xsd (tests)
  libc6-dbg # glibc's internal function names (default suppression of its timer helper thread)
  # real runtimes whose by-design threads the default suppressions silence
  # (tests/integration/runtime_defaults_test.cpp)
  default-jdk-headless golang-go erlang-base ruby nodejs python3
  # the flame-graph formats' tests (tests/integration/flame_formats_test.cpp): an XML
  # parser (libxml2-utils, above) and a browser (driven by tests/integration/browser_check.py over DevTools)
  chromium
  # make bench (scripts/bench-wakes.sh): its comparisons, strace and a ThreadSanitizer
  # build made with clang (libclang-rt-dev: clang's runtimes, libclang_rt.tsan)
  strace libclang-rt-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then
    echo "install-deps: installing ${missing[*]} with sudo" >&2
    exec sudo bash "$0"
  fi
  echo "install-deps: missing packages: ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
