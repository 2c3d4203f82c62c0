# Wraps CMake. `make run` and `make test` install what they need on a fresh Debian 12 machine.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
RUN_ARGS ?=

.PHONY: all deps test-deps build run test test-asan test-tsan clean format client-deps

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
	@if [ ! -d tests/clients/node_modules ] || [ tests/clients/package-lock.json -nt tests/clients/node_modules ]; then \
	  npm ci --prefix tests/clients --no-audit --no-fund --loglevel=error; \
	fi

test: test-deps client-deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j$(JOBS)
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS) --timeout 300

test-asan:
	$(MAKE) test BUILD_DIR=build-asan BUILD_TYPE=Debug CMAKE_FLAGS=-DGROUPD_SANITIZE=address

test-tsan:
	$(MAKE) test BUILD_DIR=build-tsan BUILD_TYPE=Debug CMAKE_FLAGS=-DGROUPD_SANITIZE=thread

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf build build-release build-asan build-tsan
