# threadleak build. Outputs go to build/ only; `make V=1` shows the commands.
#   make            build/threadleak (+ BPF object and skeleton)
#   make demo       run threadleak on the bundled leaky demo (tools/leaky_demo.cpp)
#   make test       install deps, build, run unit + integration tests
#   make bench      Google Benchmark micro-benchmarks + traced/plain workload ratios
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
CXXFLAGS   += -std=c++20 -Wall -Wextra -Werror -MMD -MP -I$(BUILD) -Ibpf -Iuserspace
LDLIBS     := -lbpf -ldw -lelf -lz -liberty -lpthread
GTEST_LIBS := -lgtest -lgtest_main -lpthread

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
FIXTURES    := $(patsubst tests/fixtures/%.c,$(BUILD)/fixtures/%,$(FIXTURE_C)) \
               $(patsubst tests/fixtures/%.cpp,$(BUILD)/fixtures/%,$(FIXTURE_CXX))
STRIPPED_FIXTURES := condvar_waiter
FIXTURES   += $(patsubst %,$(BUILD)/fixtures/%_stripped,$(STRIPPED_FIXTURES))
# Shared-library fixtures: tests/fixtures/libNAME.c -> build/fixtures/libNAME.so, not executables.
FIXTURE_LIBS := $(patsubst tests/fixtures/%.c,$(BUILD)/fixtures/%.so,$(wildcard tests/fixtures/lib*.c))
FIXTURES   := $(filter-out $(FIXTURE_LIBS:.so=),$(FIXTURES))

.PHONY: all demo test bench deps clean fixtures
all: $(BUILD)/threadleak

deps:
	$(Q)bash scripts/install-deps.sh

# vmlinux.h comes from the running kernel's BTF: the CO-RE relocations make the
# object portable, and generating it keeps the repository free of a 5 MB header.
$(BUILD)/vmlinux.h:
	$(Q)mkdir -p $(BUILD)
	$(Q)test -r /sys/kernel/btf/vmlinux || { echo "error: /sys/kernel/btf/vmlinux is missing: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF=y is needed)" >&2; exit 1; }
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

# Each bpf/NAME.bpf.c is compiled alone (header dependencies from -MMD), then
# libbpf's static linker joins them into one object: maps the files share are
# defined __weak in bpf/shared.bpf.h and linked into one (bpftool >= 7.0).
BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(OBJ)/bpf/%.bpf.o,$(BPF_SRCS))
$(OBJ)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h
	$(Q)mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -D__BPF__ -I$(BUILD) -Ibpf \
		-Wall -Werror -MMD -MP -c $< -o $@

$(BUILD)/threadleak.bpf.o: $(BPF_OBJS)
	$(call msg,BPF-LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(BUILD)/threadleak.skel.h: $(BUILD)/threadleak.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name threadleak_bpf > $@.tmp && mv $@.tmp $@

$(OBJ)/%.o: userspace/%.cpp $(BUILD)/threadleak.skel.h
	$(Q)mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(CXXFLAGS) -c $< -o $@

$(BUILD)/libthreadleak.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/threadleak: $(OBJ)/cli/main.o $(BUILD)/libthreadleak.a
	$(call msg,LINK,$@)
	$(Q)$(CXX) $(CXXFLAGS) -o $@ $^ $(LDLIBS)

$(OBJ)/unit/%.o: tests/unit/%.cpp $(BUILD)/threadleak.skel.h
	$(Q)mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(CXXFLAGS) -c $< -o $@

$(OBJ)/integration/%.o: tests/integration/%.cpp
	$(Q)mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(CXXFLAGS) -c $< -o $@

$(BUILD)/unit_tests: $(UNIT_OBJS) $(BUILD)/libthreadleak.a
	$(call msg,LINK,$@)
	$(Q)$(CXX) $(CXXFLAGS) -o $@ $^ $(LDLIBS) $(GTEST_LIBS)

$(BUILD)/integration_tests: $(INTEG_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CXX) $(CXXFLAGS) -o $@ $^ $(GTEST_LIBS)

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

demo: deps $(BUILD)/threadleak $(BUILD)/leaky_demo
	$(Q)sudo_cmd=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	$$sudo_cmd $(BUILD)/threadleak run -- $(BUILD)/leaky_demo; \
	echo "(threadleak exited with $$?)"

test: deps
	$(Q)bash scripts/check-layers.sh
	$(Q)$(MAKE) --no-print-directory $(BUILD)/threadleak $(BUILD)/unit_tests $(BUILD)/integration_tests fixtures \
		$(BUILD)/bench $(BUILD)/bench_workload  # built so they cannot rot; run by make bench
	$(Q)bash scripts/run-tests.sh

$(BUILD)/bench: $(BENCH_SRCS) $(BUILD)/libthreadleak.a
	$(Q)$(CXX) $(CXXFLAGS) -o $@ $^ $(LDLIBS) -lbenchmark -lpthread
$(BUILD)/bench_workload: tools/bench_workload.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -pthread -o $@ $<
bench: $(BUILD)/bench $(BUILD)/threadleak $(BUILD)/bench_workload
	$(Q)$(BUILD)/bench
	$(Q)bash scripts/bench-overhead.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
