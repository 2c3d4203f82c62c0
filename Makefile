# Wraps CMake. `make run` and `make test` install what they need on a fresh Debian 12 machine.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
RUN_ARGS ?=
# make fuzz: seconds per target, targets run at once, where the grown corpus, logs and crashes go.
FUZZ_SECONDS ?= 300
FUZZ_PARALLEL ?= 2
FUZZ_OUT ?= /tmp/groupd-fuzz
FUZZ_BUILD_DIR ?= build-fuzz

.PHONY: all deps test-deps build run test test-asan test-tsan fuzz fuzz-deps clean format client-deps

all: build

deps:
	@bash tools/install-deps.sh

test-deps:
	@bash tools/install-deps.sh --test

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j$(JOBS)

# Starts one node in the foreground on its defaults (client port 6380, peer port 16380).
run: deps
	cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DGROUPD_TESTS=OFF
	cmake --build build-release -j$(JOBS) --target groupd
	./build-release/server/groupd $(RUN_ARGS)

client-deps: test-deps
	@if [ ! -f tests/clients/node_modules/.package-lock.json ] || [ tests/clients/package-lock.json -nt tests/clients/node_modules/.package-lock.json ]; then \
	  npm ci --prefix tests/clients --no-audit --no-fund --loglevel=error; \
	fi

test: test-deps client-deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j$(JOBS)
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS) --timeout 300

# The groupd processes the tests start write their stderr to files the tests delete, and a
# TSan or LeakSanitizer report only changes an exit status nobody checks. So every process's
# sanitizer reports go to BUILD_DIR/sanitizer-reports (log_path), and any report there fails
# the target after it is printed. UBSan prints no stack trace unless asked.
SAN_REPORTS = $(CURDIR)/$(SAN_BUILD_DIR)/sanitizer-reports
define run_sanitized
	@rm -rf $(SAN_REPORTS) && mkdir -p $(SAN_REPORTS)
	@status=0; \
	$(1) $(MAKE) test BUILD_DIR=$(SAN_BUILD_DIR) BUILD_TYPE=Debug CMAKE_FLAGS=$(2) || status=$$?; \
	if [ -n "$$(ls -A $(SAN_REPORTS))" ]; then \
	  for f in $(SAN_REPORTS)/*; do echo "===== $$f"; cat "$$f"; done; \
	  echo "$@: sanitizer reports in $(SAN_REPORTS) (above)"; [ $$status -ne 0 ] || status=1; \
	fi; \
	exit $$status
endef

test-asan: SAN_BUILD_DIR = build-asan
test-asan:
	$(call run_sanitized,UBSAN_OPTIONS="$$UBSAN_OPTIONS:print_stacktrace=1:log_path=$(SAN_REPORTS)/ubsan" \
	  ASAN_OPTIONS="$$ASAN_OPTIONS:log_path=$(SAN_REPORTS)/asan",-DGROUPD_SANITIZE=address)

test-tsan: SAN_BUILD_DIR = build-tsan
test-tsan:
	$(call run_sanitized,TSAN_OPTIONS="$$TSAN_OPTIONS:log_path=$(SAN_REPORTS)/tsan",-DGROUPD_SANITIZE=thread)

# Chaos test (tools/chaos.py): five nodes behind fault proxies under client load while nodes are
# killed, paused and partitioned for CHAOS_SECONDS, then every invariant is checked and figures
# printed. GROUPD_BIN picks the binary, else the groupd target of BUILD_DIR is built first.
# CHAOS_ARGS passes more options (CHAOS_ARGS="--seed 42"). `make test` runs a 25 s version.
CHAOS_SECONDS ?= 300
CHAOS_ARGS ?=
.PHONY: chaos
chaos: deps
	@if [ -z "$$GROUPD_BIN" ]; then \
	  [ -f $(BUILD_DIR)/CMakeCache.txt ] || \
	    cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS); \
	  cmake --build $(BUILD_DIR) -j$(JOBS) --target groupd; \
	fi
	GROUPD_BIN="$${GROUPD_BIN:-$(BUILD_DIR)/server/groupd}" \
	  python3 tools/chaos.py --seconds $(CHAOS_SECONDS) $(CHAOS_ARGS)

# libFuzzer targets (tests/fuzz), built with clang, ASan and UBSan in their own build dir, each
# run for FUZZ_SECONDS with -max_len=4096. New corpus entries, logs and crash artifacts go to
# FUZZ_OUT, never into the source tree. (`make test` runs the same targets briefly over their
# seed corpora without libFuzzer: ctest label "fuzz".)
fuzz: deps fuzz-deps
	cmake -S . -B $(FUZZ_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
	  -DCMAKE_CXX_COMPILER=clang++ -DGROUPD_FUZZ=ON -DGROUPD_TESTS=OFF
	cmake --build $(FUZZ_BUILD_DIR) -j$(JOBS) --target fuzz_resp_parser fuzz_commands fuzz_peer_frames
	bash tests/fuzz/run.sh $(FUZZ_BUILD_DIR) $(FUZZ_SECONDS) $(FUZZ_OUT) $(FUZZ_PARALLEL)

# clang with libFuzzer's runtime (Debian: clang and libclang-rt-<version>-dev).
fuzz-deps:
	@tmp=$$(mktemp -d); \
	echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' >$$tmp/t.cc; \
	if ! clang++ -fsanitize=fuzzer,address,undefined $$tmp/t.cc -o $$tmp/t >/dev/null 2>&1; then \
	  SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  echo "fuzz-deps: installing clang and libclang-rt-dev"; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends clang libclang-rt-dev; \
	fi; rm -rf $$tmp

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf build build-release build-asan build-tsan build-fuzz

# Benchmarks side by side with Redis 7; not part of `make test`, and timing never fails them.
# Installs Redis, valgrind and matplotlib, builds groupd and tools/loadgen in Release, and writes
# bench-results/{results.json,results.md,chart.png}. `bench-quick` is a smoke check (under a
# minute) that writes bench-results/quick/. BENCH_ARGS passes options to tools/bench/run.py.
# See docs/BENCHMARKS.md.
BENCH_BUILD_DIR ?= build-bench
BENCH_ARGS ?=

.PHONY: bench bench-quick

bench bench-quick: deps
	@bash tools/bench/install-deps.sh
	cmake -S . -B $(BENCH_BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DGROUPD_TESTS=OFF
	cmake --build $(BENCH_BUILD_DIR) -j$(JOBS) --target groupd loadgen table_bench
	/usr/bin/python3 tools/bench/run.py --build-dir $(BENCH_BUILD_DIR) \
	  $(if $(filter bench-quick,$@),--quick) $(BENCH_ARGS)
