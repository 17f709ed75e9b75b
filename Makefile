# Makefile - a thin wrapper around CMake and ctest for the usual tasks.
#
#   make deps      install the Debian packages the build and tests need
#   make build     configure and build (gcc) in $(BUILD)
#   make check     deps, build, ctest; then AddressSanitizer+UBSan and
#                  ThreadSanitizer builds ($(ASAN_CC)) with ctest there too,
#                  and the unit tests under valgrind memcheck
#   make demo      deps, build, then ws2perf's loopback suite (~20 s)
#   make bench     deps, build, then ws2perf --vs-raw (ws2posix against raw
#                  Linux calls, median ratios), ws2perf --scale 10000 and
#                  bench/callgrind.sh
#   make install   cmake --install to $(PREFIX)
#   make clean     remove both build directories
#
# Variables: BUILD, ASAN_BUILD, CC, ASAN_CC, PREFIX, JOBS, BUILD_TYPE,
# CTEST_ARGS (e.g. CTEST_ARGS="-L examples").

BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
ifeq ($(origin CC),default)
CC := gcc
endif
ASAN_CC ?= $(shell command -v clang 2>/dev/null || command -v gcc)
PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 4)
BUILD_TYPE ?= RelWithDebInfo
CTEST_ARGS ?=

DEPS := cmake gcc clang make pkg-config libcmocka-dev liburing-dev iproute2 \
        gcc-mingw-w64-x86-64 valgrind

CTEST := ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

.PHONY: all deps build check demo bench install clean

all: build

# Installs only what dpkg says is missing; apt-get update first when there
# is something to install. As root directly, otherwise through sudo.
deps:
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
	    echo "deps: no dpkg here; install by hand: $(DEPS)"; exit 0; \
	fi; \
	missing=""; \
	for p in $(DEPS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	        || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all installed"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	echo "deps: installing$$missing"; \
	$$sudo apt-get update && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing

build:
	cmake -S . -B $(BUILD) -DCMAKE_C_COMPILER=$(CC) \
	    -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCMAKE_INSTALL_PREFIX=$(PREFIX)
	cmake --build $(BUILD) -j $(JOBS)

# Both test runs happen even when the first fails; the target fails if
# either did.
check: deps build
	@rc=0; \
	echo "=== ctest: $(CC) build in $(BUILD)"; \
	(cd $(BUILD) && $(CTEST)) || rc=1; \
	echo "=== AddressSanitizer build with $(ASAN_CC) in $(ASAN_BUILD)"; \
	if cmake -S . -B $(ASAN_BUILD) -DCMAKE_C_COMPILER=$(ASAN_CC) \
	        -DCMAKE_BUILD_TYPE=Debug -DWS2_SANITIZE=address && \
	    cmake --build $(ASAN_BUILD) -j $(JOBS); then \
	    (cd $(ASAN_BUILD) && $(CTEST)) || rc=1; \
	else \
	    echo "check: the AddressSanitizer build failed"; rc=1; \
	fi; \
	echo "=== ThreadSanitizer build with $(ASAN_CC) in $(TSAN_BUILD)"; \
	if cmake -S . -B $(TSAN_BUILD) -DCMAKE_C_COMPILER=$(ASAN_CC) \
	        -DCMAKE_BUILD_TYPE=Debug -DWS2_SANITIZE=thread \
	        -DWS2_EXAMPLES=OFF && \
	    cmake --build $(TSAN_BUILD) -j $(JOBS); then \
	    (cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1 $(CTEST) -L unit) \
	        || rc=1; \
	else \
	    echo "check: the ThreadSanitizer build failed"; rc=1; \
	fi; \
	echo "=== valgrind memcheck of the unit tests in $(BUILD)"; \
	sh tests/valgrind.sh $(BUILD) || rc=1; \
	if [ $$rc -eq 0 ]; then echo "check: all passed"; \
	else echo "check: FAILED (see above)"; fi; \
	exit $$rc

# ws2perf with its defaults: UDP 64 B in the four modes (K=1 and K=32),
# TCP 16 x 4 KiB blocking and overlapped K=4, 2 s each, then a table.
demo: deps build
	@echo "=== ws2perf: the loopback suite"
	$(BUILD)/tools/ws2perf

# ws2posix against raw Linux calls in the same process, interleaved rounds
# (median ratio per workload), then instructions per call under callgrind.
bench: deps build
	@echo "=== ws2perf --vs-raw"
	$(BUILD)/tools/ws2perf --vs-raw
	@echo "=== ws2perf --scale 10000"
	$(BUILD)/tools/ws2perf --scale 10000
	@echo "=== bench/callgrind.sh"
	sh bench/callgrind.sh $(BUILD)/tools/ws2perf

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)
