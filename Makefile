# tapir: one entry point.  `make` builds; `make demo` and `make test` also
# install what the machine lacks (Debian packages) first.
#
#   make            library, tools, test programs         -> build/
#   make test       unit + simulation + packetdrill + interop tests
#   make demo       tapir on a TAP in its own namespace against the kernel
#   make asan       the same tests under AddressSanitizer + UBSan -> build-asan/
#   make tsan       ThreadSanitizer build of the API tests      -> build-tsan/
#   make bench      throughput and request/response figures against the kernel
#   make CC=clang   any of the above with clang

CC      ?= cc
NPROC   := $(shell nproc 2>/dev/null || echo 2)
SAN     ?=
BUILD   ?= build
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I. -pthread $(SAN)
LDFLAGS += -pthread $(SAN)
LDLIBS  += -lpcap -lssl -lcrypto

# Sources are found, not listed: a new file in a folder is built with no
# change here.  Each folder's role is in DESIGN notes / README.
LIB_SRCS   := $(sort $(shell find stack drivers api -name '*.c'))
LIB_OBJS   := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB        := $(BUILD)/libtapir.a
TOOL_SRCS  := $(sort $(wildcard tools/*.c))
TOOLS      := $(TOOL_SRCS:tools/%.c=$(BUILD)/bin/%)
UNIT_SRCS  := $(sort $(wildcard tests/unit/*.c))
SIM_SRCS   := $(sort $(wildcard tests/sim/*.c))
PROG_SRCS  := $(sort $(wildcard tests/progs/*.c))
PROGS      := $(PROG_SRCS:tests/progs/%.c=$(BUILD)/tests/progs/%)
DRILL_SRCS := $(sort $(wildcard tests/drill/*.c))
DRILL_OBJS := $(DRILL_SRCS:%.c=$(BUILD)/%.o)
BENCH_SRCS := $(sort $(wildcard bench/*.c))
BENCHES    := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/*.c))
FUZZES     := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/tests/fuzz/%)

UNIT_BIN := $(BUILD)/tests/unit-tests
SIM_BIN  := $(BUILD)/tests/sim-tests
DRILL_BIN := $(BUILD)/bin/tapir-drill

ALL := $(LIB) $(TOOLS) $(PROGS) $(BENCHES) $(FUZZES)
ALL += $(if $(UNIT_SRCS),$(UNIT_BIN)) $(if $(SIM_SRCS),$(SIM_BIN)) $(if $(DRILL_SRCS),$(DRILL_BIN))

.PHONY: all deps test test-unit test-sim test-drill test-interop demo asan tsan bench clean
all: $(ALL)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/bin/%: $(BUILD)/tools/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $< $(LIB) $(LDLIBS) -o $@

$(BUILD)/tests/progs/%: $(BUILD)/tests/progs/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $< $(LIB) $(LDLIBS) -o $@

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $< $(LIB) $(LDLIBS) -o $@

$(BUILD)/tests/fuzz/%: $(BUILD)/tests/fuzz/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $< $(LIB) $(LDLIBS) -o $@

$(UNIT_BIN): $(UNIT_SRCS:%.c=$(BUILD)/%.o) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(filter %.o,$^) $(LIB) $(LDLIBS) -lcriterion -o $@

$(SIM_BIN): $(SIM_SRCS:%.c=$(BUILD)/%.o) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(filter %.o,$^) $(LIB) $(LDLIBS) -lcriterion -o $@

$(DRILL_BIN): $(DRILL_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(DRILL_OBJS) $(LIB) $(LDLIBS) -o $@

deps:
	@bash tools/install-deps.sh

# Each suite prints its own summary; `test` runs them all, then the in-process
# suites again under ASan+UBSan, and fails if any did.
ASAN_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@$(MAKE) --no-print-directory -j$(NPROC) BUILD=build-asan OPT=-O1 SAN="$(ASAN_SAN)" all
	@bash tests/run-all.sh $(BUILD) && \
	 TAPIR_SUITES="unit sim drill" ASAN_OPTIONS=detect_leaks=1 \
	 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp bash tests/run-all.sh build-asan

test-unit: $(UNIT_BIN)
	$(UNIT_BIN)
test-sim: $(SIM_BIN)
	$(SIM_BIN)
test-drill: $(DRILL_BIN)
	bash tests/drill/run-corpus.sh $(BUILD)
test-interop: all
	bash tests/interop/run.sh $(BUILD)

demo: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@bash tools/demo.sh $(BUILD)

asan: deps
	@$(MAKE) --no-print-directory -j$(NPROC) BUILD=build-asan OPT=-O1 SAN="$(ASAN_SAN)" all
	@ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	 bash tests/run-all.sh build-asan

tsan: deps
	@$(MAKE) --no-print-directory -j$(NPROC) BUILD=build-tsan OPT=-O1 SAN="-fsanitize=thread" all
	@TAPIR_SUITES=threads bash tests/run-all.sh build-tsan  # Criterion does not start under TSan

bench: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@bash bench/run.sh $(BUILD)

clean:
	rm -rf build build-asan build-tsan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
