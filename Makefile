# Thin wrapper over CMake/CTest: `make demo` and `make test` do everything on a fresh machine.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build test test-unit test-mpi test-asan demo fidelity fuzz bench clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DMETASWEEP_WERROR=ON $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ctest --output-on-failure -j $(JOBS)

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit -j $(JOBS)

test-mpi: build
	cd $(BUILD) && OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ctest --output-on-failure -L mpi

# AddressSanitizer + UBSan over the torch-free unit suites (sweeps_tests, results_tests,
# images_tests, image_sources_tests): every parser, the SQLite store, queries, formats and
# reports, the JPEG/PNG decoders and the image folder / tar shard readers (hostile files arrive
# there). LibTorch is not built with ASan (an uninstrumented libtorch gives false reports and the
# worker would take ~30 min more to build);
# tests that drive the metasweep binary (Cli*, *ThroughTheBinary) need that binary and are left to `make test`.
# UBSan halts on the first report, so a clean run means no undefined behaviour was seen.
ASAN_BUILD ?= build-asan
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DMETASWEEP_SANITIZE=ON -DMETASWEEP_PCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target sweeps_tests results_tests images_tests image_sources_tests
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ctest --output-on-failure -L unit -E '_NOT_BUILT|^Cli|ThroughTheBinary' -j $(JOBS)

# libFuzzer (clang) over the sweep parser/expander, the --where parser, the JPEG/PNG decoders and the
# tar shard indexer, FUZZ_SECONDS each.
# Only the torch-free libraries are built with clang. Crashes: build-fuzz/fuzz-crashes/<target>/.
FUZZ_SECONDS ?= 120
fuzz:
	cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DMETASWEEP_FUZZ=ON -DMETASWEEP_TESTS=OFF -DMETASWEEP_PCH=OFF
	cmake --build build-fuzz -j $(JOBS) --target sweep_fuzzer where_fuzzer image_fuzzer tar_fuzzer
	bash scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

demo: build
	@bash scripts/demo.sh $(BUILD)

# The fidelity suite (outside CI, ~1-2 h on 2 cores): sweeps/fidelity/ beside the independent
# PyTorch oracle (bench/kv_oracle.py) and the papers' figures; results recorded in docs/fidelity.md.
fidelity: build
	@/usr/bin/python3 -c 'import torch' 2>/dev/null || INSTALL_EXTRAS=1 bash scripts/install-deps.sh
	@bash scripts/fidelity.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
