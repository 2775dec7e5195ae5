# threadleak build. Outputs go to build/ only; `make V=1` shows the commands.
#   make            build/threadleak (+ BPF object and skeleton), man page, bash completion
#   make demo       run threadleak on the bundled leaky demo (tools/leaky_demo.cpp)
#   make test       install deps, build, run unit + integration tests
#   make bench      Google Benchmark micro-benchmarks, traced/plain workload ratios,
#                   threadleak's peak RSS and time for many leaking processes,
#                   attach's cost on a 10,000-thread target and under --all,
#                   futex wake tracking's cost (traced and bystander, beside strace and TSan)
#   make install    PREFIX=/usr/local DESTDIR=: binary, man page, bash completion
#   make deb        build/threadleak_$(VERSION)_amd64.deb (the files of make install PREFIX=/usr)
# CXXFLAGS (default -O2 -g) and BPF_CFLAGS (default -O2) may be overridden; the
# flags the build needs are kept apart in REQUIRED_CXXFLAGS / REQUIRED_BPF_CFLAGS.

# The one place the version is defined: --version, the man page and the .deb use it.
VERSION    := 0.3.0
BUILD      := build
OBJ        := $(BUILD)/obj
CXX        ?= g++
CLANG      ?= clang
BPFTOOL    ?= bpftool
ARCH       := x86

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

CXXFLAGS   ?= -O2 -g
REQUIRED_CXXFLAGS := -std=c++20 -Wall -Wextra -Werror -MMD -MP -I$(BUILD) -I$(BUILD)/gen -Ibpf -Iuserspace
ALL_CXXFLAGS = $(REQUIRED_CXXFLAGS) $(CPPFLAGS) $(CXXFLAGS)
# -O2 by default: the verifier rejects most of what clang emits for BPF at -O0.
BPF_CFLAGS ?= -O2
# -g: BTF for the CO-RE relocations and the skeleton's map and program types.
# bpf/vmlinux.h is checked in (the kernel types we read, CO-RE relocated at load
# time): the build needs neither kernel headers nor the build host's BTF.
REQUIRED_BPF_CFLAGS := -g -target bpf -D__TARGET_ARCH_$(ARCH) -D__BPF__ -Ibpf -Wall -Werror
# attach --prometheus: prometheus-cpp's pull library (its Exposer) and the civetweb it runs on.
PROMETHEUS_LIBS := $(shell pkg-config --libs prometheus-cpp-pull 2>/dev/null || echo -lprometheus-cpp-pull -lprometheus-cpp-core) \
                   -lcivetweb-cpp -lcivetweb
LDLIBS     := -lbpf -ldw -lelf -lz -liberty -lprotobuf -lnettle $(PROMETHEUS_LIBS) -lpthread
GTEST_LIBS := -lgtest -lgtest_main -lpthread

# make install: DESTDIR is prepended to every path (staging, packaging).
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DOCDIR      ?= $(PREFIX)/share/doc/threadleak
INSTALLED   := $(BUILD)/threadleak $(BUILD)/threadleak.1.gz $(BUILD)/threadleak.bash-completion \
               LICENSE docs/json-schema.md docs/junit.md docs/junit.xsd
# x86_64 only (ARCH above): the BPF object reads x86 registers.
DEB         := $(BUILD)/threadleak_$(VERSION)_amd64.deb

LIB_SRCS   := $(filter-out userspace/cli/main.cpp,$(wildcard userspace/*/*.cpp))
LIB_OBJS   := $(patsubst userspace/%.cpp,$(OBJ)/%.o,$(LIB_SRCS))
UNIT_SRCS  := $(wildcard tests/unit/*/*.cpp)
UNIT_OBJS  := $(patsubst tests/unit/%.cpp,$(OBJ)/unit/%.o,$(UNIT_SRCS))
INTEG_SRCS := $(wildcard tests/integration/*.cpp)
INTEG_OBJS := $(patsubst tests/integration/%.cpp,$(OBJ)/integration/%.o,$(INTEG_SRCS))
BENCH_SRCS := $(wildcard tests/bench/*.cpp)

# Fixtures: tests/fixtures/NAME.c or NAME.cpp -> build/fixtures/NAME, with debug info.
# NAME_stripped variants are built for fixtures listed in STRIPPED_FIXTURES.
FIXTURE_C   := $(wildcard tests/fixtures/*.c)
FIXTURE_CXX := $(wildcard tests/fixtures/*.cpp)
# tests/fixtures/NAME.S: 32-bit (ia32) programs without libc (no multilib needed).
FIXTURE_IA32 := $(wildcard tests/fixtures/*.S)
FIXTURES    := $(patsubst tests/fixtures/%.c,$(BUILD)/fixtures/%,$(FIXTURE_C)) \
               $(patsubst tests/fixtures/%.cpp,$(BUILD)/fixtures/%,$(FIXTURE_CXX)) \
               $(patsubst tests/fixtures/%.S,$(BUILD)/fixtures/%,$(FIXTURE_IA32))
# tests/fixtures/attach/NAME.c: long-running targets of `threadleak attach` -> build/fixtures/attach/NAME.
FIXTURES    += $(patsubst tests/fixtures/%.c,$(BUILD)/fixtures/%,$(wildcard tests/fixtures/attach/*.c))
# tests/fixtures/waits/NAME.c: threads parked in one kind of wait each (wait_test.cpp) -> build/fixtures/waits/NAME.
WAIT_FIXTURES := $(patsubst tests/fixtures/%.c,$(BUILD)/fixtures/%,$(wildcard tests/fixtures/waits/*.c))
FIXTURES    += $(WAIT_FIXTURES)
STRIPPED_FIXTURES := condvar_waiter
FIXTURES   += $(patsubst %,$(BUILD)/fixtures/%_stripped,$(STRIPPED_FIXTURES))
# Shared-library fixtures: tests/fixtures/libNAME.c -> build/fixtures/libNAME.so, not executables.
FIXTURE_LIBS := $(patsubst tests/fixtures/%.c,$(BUILD)/fixtures/%.so,$(wildcard tests/fixtures/lib*.c))
FIXTURES   := $(filter-out $(FIXTURE_LIBS:.so=),$(FIXTURES))

.PHONY: all demo test bench deps clean fixtures install uninstall deb FORCE
all: $(BUILD)/threadleak $(BUILD)/threadleak.1.gz $(BUILD)/threadleak.bash-completion

# A recipe that fails (or is interrupted) leaves no half-written target behind.
.DELETE_ON_ERROR:

deps:
	$(Q)bash scripts/install-deps.sh

# Each bpf/NAME.bpf.c is compiled alone (header dependencies from -MMD), then
# libbpf's static linker joins them into one object: maps the files share are
# defined __weak in bpf/shared.bpf.h and linked into one (bpftool >= 7.0).
BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(OBJ)/bpf/%.bpf.o,$(BPF_SRCS))
$(OBJ)/bpf/%.bpf.o: bpf/%.bpf.c
	$(Q)mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(REQUIRED_BPF_CFLAGS) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/threadleak.bpf.o: $(BPF_OBJS)
	$(call msg,BPF-LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(BUILD)/threadleak.skel.h: $(BUILD)/threadleak.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name threadleak_bpf > $@.tmp && mv $@.tmp $@

# Only the sources that include the skeleton wait for it: the first build must
# generate it before they compile; afterwards their -MMD files track it, and the
# other objects do not rebuild when bpf/ changes.
SKEL_USERS := $(shell grep -l 'include "threadleak.skel.h"' $(LIB_SRCS) $(UNIT_SRCS))
$(patsubst userspace/%.cpp,$(OBJ)/%.o,$(patsubst tests/unit/%.cpp,$(OBJ)/unit/%.o,$(SKEL_USERS))): \
	$(BUILD)/threadleak.skel.h

$(OBJ)/%.o: userspace/%.cpp
	$(Q)mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(ALL_CXXFLAGS) -c $< -o $@

# Protocol buffers: userspace/STAGE/DIR/NAME.proto -> build/gen/STAGE/DIR/NAME.pb.{h,cc},
# included as "STAGE/DIR/NAME.pb.h". protoc's code is compiled by its own rule
# without -Wall -Wextra -Werror: its warnings are not ours to fix.
PROTOC     ?= protoc
GEN        := $(BUILD)/gen
PROTO_SRCS := $(wildcard userspace/*/*/*.proto)
PROTO_HDRS := $(patsubst userspace/%.proto,$(GEN)/%.pb.h,$(PROTO_SRCS))
PROTO_OBJS := $(patsubst userspace/%.proto,$(OBJ)/gen/%.pb.o,$(PROTO_SRCS))
$(GEN)/%.pb.h $(GEN)/%.pb.cc: userspace/%.proto
	$(Q)mkdir -p $(GEN)
	$(call msg,PROTOC,$<)
	$(Q)$(PROTOC) --proto_path=userspace --cpp_out=$(GEN) $<
$(OBJ)/gen/%.pb.o: $(GEN)/%.pb.cc
	$(Q)mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) -std=c++20 -MMD -MP -I$(GEN) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@
# The headers exist before any source that may include them compiles; from then
# on -MMD records which ones do (order-only: nothing else rebuilds for them).
$(LIB_OBJS) $(OBJ)/cli/main.o $(UNIT_OBJS): | $(PROTO_HDRS)

# version.o takes the version as a macro; the stamp changes only when VERSION does.
$(BUILD)/version.stamp: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
$(OBJ)/common/version.o: $(BUILD)/version.stamp
$(OBJ)/common/version.o: REQUIRED_CXXFLAGS += -DTHREADLEAK_VERSION='"$(VERSION)"'

$(BUILD)/libthreadleak.a: $(LIB_OBJS) $(PROTO_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/threadleak: $(OBJ)/cli/main.o $(BUILD)/libthreadleak.a
	$(call msg,LINK,$@)
	$(Q)$(CXX) $(ALL_CXXFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OBJ)/unit/%.o: tests/unit/%.cpp
	$(Q)mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(ALL_CXXFLAGS) -c $< -o $@

$(OBJ)/integration/%.o: tests/integration/%.cpp
	$(Q)mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(ALL_CXXFLAGS) -c $< -o $@

$(BUILD)/unit_tests: $(UNIT_OBJS) $(BUILD)/libthreadleak.a
	$(call msg,LINK,$@)
	$(Q)$(CXX) $(ALL_CXXFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(GTEST_LIBS)

# Linked with the library for the tests that run a piece of it in-process
# (a MetricsEndpoint scraped by a real Prometheus server).
$(BUILD)/integration_tests: $(INTEG_OBJS) $(BUILD)/libthreadleak.a
	$(call msg,LINK,$@)
	$(Q)$(CXX) $(ALL_CXXFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(GTEST_LIBS)

# Fixtures omit frame pointers (like Debian's glibc) so the unwinder is exercised
# on CFI alone; -fno-inline keeps their distinctive functions as real frames.
FIXTURE_CFLAGS := -g -O1 -fomit-frame-pointer -fno-inline -pthread
$(BUILD)/fixtures/%: tests/fixtures/%.c
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(FIXTURE_CFLAGS) -o $@ $<
$(BUILD)/fixtures/%: tests/fixtures/%.cpp
	$(Q)mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) -std=c++20 $(FIXTURE_CFLAGS) -o $@ $<
$(BUILD)/fixtures/%: tests/fixtures/%.S
	$(Q)mkdir -p $(@D)
	$(call msg,AS32,$@)
	$(Q)as --32 -o $@.o $< && ld -m elf_i386 -static -o $@ $@.o && rm -f $@.o
$(WAIT_FIXTURES): tests/fixtures/waits/waits_common.h
$(BUILD)/fixtures/%_stripped: $(BUILD)/fixtures/%
	$(call msg,STRIP,$@)
	$(Q)strip -s -o $@ $<
# Real-library fixtures (tests/integration/real_library_test.cpp) link a library or
# need a compiler flag: REAL_LIB_CFLAGS / REAL_LIB_LDLIBS per fixture.
REAL_LIB_FIXTURES := $(BUILD)/fixtures/zmq_context_leak $(BUILD)/fixtures/openmp_pool \
                     $(BUILD)/fixtures/rdkafka_producer_leak
$(BUILD)/fixtures/zmq_context_leak: REAL_LIB_LDLIBS := -lzmq
$(BUILD)/fixtures/openmp_pool: REAL_LIB_CFLAGS := -fopenmp
$(BUILD)/fixtures/rdkafka_producer_leak: REAL_LIB_LDLIBS := -lrdkafka
$(REAL_LIB_FIXTURES): $(BUILD)/fixtures/%: tests/fixtures/%.c
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(FIXTURE_CFLAGS) $(REAL_LIB_CFLAGS) -o $@ $< $(REAL_LIB_LDLIBS)

# Test-framework fixtures (tests/integration/per_test_test.cpp): one GoogleTest
# and one Boost.Test program, each linked statically and as a shared library.
# libgtest_shared.so is Debian's PIC libgtest.a made shared (Debian ships no
# libgtest.so); the _nobounds variant lacks the symbol --per-test probes, so
# its tests are told apart by their frames alone.
TESTFW      := tests/fixtures/testframeworks
TESTFW_FIXTURES := $(BUILD)/fixtures/gtest_three $(BUILD)/fixtures/gtest_three_shared \
                   $(BUILD)/fixtures/gtest_three_nobounds $(BUILD)/fixtures/boost_three \
                   $(BUILD)/fixtures/boost_three_static
FIXTURES    += $(TESTFW_FIXTURES)
GTEST_A_DIR := /usr/lib/x86_64-linux-gnu
$(BUILD)/fixtures/gtest_three: $(TESTFW)/gtest_three.cpp $(TESTFW)/three_tests_common.h
	$(Q)mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) -std=c++20 $(FIXTURE_CFLAGS) -o $@ $< -lgtest_main -lgtest
$(BUILD)/fixtures/libgtest_shared.so:
	$(Q)mkdir -p $(@D)
	$(call msg,LINK,$@)
	$(Q)$(CXX) -shared -pthread -o $@ -Wl,--whole-archive $(GTEST_A_DIR)/libgtest.a -Wl,--no-whole-archive
$(BUILD)/fixtures/gtest_three_shared: $(TESTFW)/gtest_three.cpp $(TESTFW)/three_tests_common.h $(BUILD)/fixtures/libgtest_shared.so
	$(call msg,CXX,$@)
	$(Q)$(CXX) -std=c++20 $(FIXTURE_CFLAGS) -o $@ $< $(GTEST_A_DIR)/libgtest_main.a \
		-L$(BUILD)/fixtures -lgtest_shared -Wl,-rpath,'$$ORIGIN'
$(BUILD)/fixtures/gtest_three_nobounds: $(BUILD)/fixtures/gtest_three
	$(call msg,STRIP,$@)
	$(Q)strip -N _ZN7testing8TestInfo3RunEv -o $@ $<
$(BUILD)/fixtures/boost_three: $(TESTFW)/boost_three.cpp $(TESTFW)/three_tests_common.h
	$(Q)mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) -std=c++20 $(FIXTURE_CFLAGS) -DBOOST_TEST_DYN_LINK -o $@ $< -lboost_unit_test_framework
$(BUILD)/fixtures/boost_three_static: $(TESTFW)/boost_three.cpp $(TESTFW)/three_tests_common.h
	$(Q)mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) -std=c++20 $(FIXTURE_CFLAGS) -o $@ $< $(GTEST_A_DIR)/libboost_unit_test_framework.a
# Go fixtures (tests/integration/goroutine_test.cpp): one module, tests/fixtures/go/.
# go_leaks (one program, the shape is argv[1]) in four builds: plain, stripped
# (-s -w: no .symtab, no DWARF; .gopclntab stays), PIE, and cgo (CGO_ENABLED=1,
# which adds cgo.go); all but the cgo build with CGO_ENABLED=0. go_test_leak.test is
# a `go test -c` binary. go builds as root on a fresh machine: caches under build/
# (GOCACHE and GOPATH must be absolute), no VCS stamping.
GO          ?= go
GO_SRC      := tests/fixtures/go
GO_OUT      := $(BUILD)/fixtures/go
GO_ENV      := GOCACHE=$(abspath $(GO_OUT))/go-cache GOPATH=$(abspath $(GO_OUT))/go-path GOFLAGS=-buildvcs=false
GO_LEAKS_SRCS := $(GO_SRC)/go.mod $(wildcard $(GO_SRC)/go_leaks/*.go)
GO_FIXTURES := $(GO_OUT)/go_leaks $(GO_OUT)/go_leaks_stripped $(GO_OUT)/go_leaks_pie \
               $(GO_OUT)/go_leaks_cgo $(GO_OUT)/go_test_leak.test
FIXTURES    += $(GO_FIXTURES)
go_build = $(Q)mkdir -p $(GO_OUT) && cd $(GO_SRC) && $(GO_ENV) CGO_ENABLED=$(1) $(GO) build $(2) -o $(abspath $@) ./go_leaks
$(GO_OUT)/go_leaks: $(GO_LEAKS_SRCS)
	$(call msg,GO,$@)
	$(call go_build,0,)
$(GO_OUT)/go_leaks_stripped: $(GO_LEAKS_SRCS)
	$(call msg,GO,$@)
	$(call go_build,0,-ldflags='-s -w')
$(GO_OUT)/go_leaks_pie: $(GO_LEAKS_SRCS)
	$(call msg,GO,$@)
	$(call go_build,0,-buildmode=pie)
$(GO_OUT)/go_leaks_cgo: $(GO_LEAKS_SRCS)
	$(call msg,GO,$@)
	$(call go_build,1,)
$(GO_OUT)/go_test_leak.test: $(GO_SRC)/go.mod $(wildcard $(GO_SRC)/go_test_leak/*.go)
	$(call msg,GO-TEST,$@)
	$(Q)mkdir -p $(GO_OUT) && cd $(GO_SRC) && $(GO_ENV) CGO_ENABLED=0 $(GO) test -c -o $(abspath $@) ./go_test_leak
# hostile_symbols: its functions are renamed after linking to names no compiler
# writes (markup, ';', a newline, U+202E, bytes that are not UTF-8).
$(BUILD)/fixtures/hostile_symbols: tests/fixtures/hostile_symbols.c tests/fixtures/hostile_symbols.sh
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(FIXTURE_CFLAGS) -o $@.linked $< && sh tests/fixtures/hostile_symbols.sh $@.linked $@ && rm -f $@.linked

# The man page and the completion are generated from --help (run --help for the
# subcommand's options), so they list the flags the binary has.
$(BUILD)/threadleak.1: $(BUILD)/threadleak scripts/help-for-man.sh docs/threadleak.h2m
	$(call msg,MAN,$@)
	$(Q)command -v help2man >/dev/null || { echo "error: help2man is missing: run scripts/install-deps.sh (or apt-get install help2man)" >&2; exit 1; }
	$(Q)THREADLEAK_BIN=$(BUILD)/threadleak help2man --include=docs/threadleak.h2m --output=$@ scripts/help-for-man.sh
$(BUILD)/threadleak.1.gz: $(BUILD)/threadleak.1
	$(Q)gzip -9 -n -c $< > $@
$(BUILD)/threadleak.bash-completion: $(BUILD)/threadleak scripts/gen-bash-completion.sh
	$(call msg,GEN,$@)
	$(Q)bash scripts/gen-bash-completion.sh $(BUILD)/threadleak > $@

install: $(INSTALLED)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)
	$(Q)install -m 0755 $(BUILD)/threadleak $(DESTDIR)$(BINDIR)/threadleak
	$(Q)install -m 0644 $(BUILD)/threadleak.1.gz $(DESTDIR)$(MANDIR)/man1/threadleak.1.gz
	$(Q)install -m 0644 $(BUILD)/threadleak.bash-completion $(DESTDIR)$(BASHCOMPDIR)/threadleak
	$(Q)install -m 0644 LICENSE $(DESTDIR)$(DOCDIR)/copyright
	$(Q)install -m 0644 docs/json-schema.md $(DESTDIR)$(DOCDIR)/json-schema.md
	$(Q)install -m 0644 docs/junit.md docs/junit.xsd $(DESTDIR)$(DOCDIR)/
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/threadleak $(DESTDIR)$(MANDIR)/man1/threadleak.1.gz \
		$(DESTDIR)$(BASHCOMPDIR)/threadleak $(DESTDIR)$(DOCDIR)/copyright $(DESTDIR)$(DOCDIR)/json-schema.md \
		$(DESTDIR)$(DOCDIR)/junit.md $(DESTDIR)$(DOCDIR)/junit.xsd
	-rmdir $(DESTDIR)$(DOCDIR)

# The package holds exactly the files of `make install PREFIX=/usr`.
deb: $(DEB)
$(DEB): $(INSTALLED) scripts/build-deb.sh
	$(call msg,DEB,$@)
	$(Q)rm -rf $(BUILD)/deb
	$(Q)$(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(BUILD)/deb/debian/threadleak
	$(Q)bash scripts/build-deb.sh $(VERSION) $(BUILD)/deb $@

fixtures: $(FIXTURES)
fixtures: $(FIXTURE_LIBS)
$(BUILD)/fixtures/%.so: tests/fixtures/%.c
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -shared -fPIC -g -O1 -pthread -o $@ $<

$(BUILD)/leaky_demo: tools/leaky_demo.cpp
	$(Q)mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) -std=c++20 -g -O1 -pthread -o $@ $<

# demo and test install the packages first, then build in a sub-make: with -j,
# prerequisites of one target start together, so a compile would race apt.
# It also writes the same leaks as a page and a flame graph (build/demo/).
demo: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/threadleak $(BUILD)/leaky_demo
	$(Q)mkdir -p $(BUILD)/demo
	$(Q)sudo_cmd=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	$$sudo_cmd $(BUILD)/threadleak run -- $(BUILD)/leaky_demo; \
	echo "(threadleak exited with $$?)"; \
	$$sudo_cmd $(BUILD)/threadleak run --format html --output $(BUILD)/demo/leaks.html -- $(BUILD)/leaky_demo; \
	$$sudo_cmd $(BUILD)/threadleak run --format svg --output $(BUILD)/demo/leaks.svg -- $(BUILD)/leaky_demo; \
	[ -s $(BUILD)/demo/leaks.html ] && [ -s $(BUILD)/demo/leaks.svg ] && \
	echo "wrote $(BUILD)/demo/leaks.html (the report as a page) and $(BUILD)/demo/leaks.svg (its flame graph): open them in a browser"

test: deps
	$(Q)bash scripts/check-layers.sh
	$(Q)$(MAKE) --no-print-directory $(BUILD)/threadleak $(BUILD)/unit_tests $(BUILD)/integration_tests fixtures \
		$(BUILD)/leaky_demo $(DEB) $(BUILD)/bench $(BUILD)/bench_workload $(BUILD)/run_measured $(BENCH_WAKES)  # bench: built so it cannot rot; run by make bench
	$(Q)bash scripts/run-tests.sh

$(BUILD)/bench: $(BENCH_SRCS) $(BUILD)/libthreadleak.a
	$(Q)$(CXX) $(ALL_CXXFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lbenchmark -lpthread
$(BUILD)/bench_workload: tools/bench_workload.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -pthread -o $@ $<
# Futex wake tracking's cost (scripts/bench-wakes.sh): a futex ping-pong, also as a
# ThreadSanitizer build for comparison (clang's TSan runtime: libclang-rt-dev), and a
# getppid loop.
$(BUILD)/bench_pingpong: tools/bench_pingpong.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -Wall -Wextra -Werror -pthread -o $@ $<
$(BUILD)/bench_pingpong_tsan: tools/bench_pingpong.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -O2 -Wall -Wextra -Werror -fsanitize=thread -pthread -o $@ $<
$(BUILD)/bench_getppid: tools/bench_getppid.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -Wall -Wextra -Werror -o $@ $<
BENCH_WAKES := $(BUILD)/bench_pingpong $(BUILD)/bench_pingpong_tsan $(BUILD)/bench_getppid
# Goroutine churn (scripts/bench-go.sh): what reading goroutines costs a Go program.
$(BUILD)/bench_go_churn: tools/bench_go_churn/main.go
	$(Q)mkdir -p $(GO_OUT) && $(GO_ENV) CGO_ENABLED=0 $(GO) build -o $(abspath $@) $<
BENCH_WAKES += $(BUILD)/bench_go_churn
$(BUILD)/run_measured: tools/run_measured.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -Wall -Wextra -Werror -o $@ $<
bench: $(BUILD)/bench $(BUILD)/threadleak $(BUILD)/bench_workload $(BUILD)/run_measured $(BUILD)/fixtures/fork_many_leakers \
       $(BUILD)/fixtures/attach/parked_before_attach $(BUILD)/fixtures/attach/churn $(BENCH_WAKES) \
       $(GO_OUT)/go_leaks
	$(Q)$(BUILD)/bench
	$(Q)bash scripts/bench-overhead.sh
	$(Q)bash scripts/bench-many-processes.sh
	$(Q)bash scripts/bench-attach.sh
	$(Q)bash scripts/bench-wakes.sh
	$(Q)bash scripts/bench-go.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
