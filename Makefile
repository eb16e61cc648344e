# The two commands: `make run` serves, `make test` runs every test. Both install what is missing.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
DATA_DIR ?= .lamina
CMAKE_FLAGS ?=

.PHONY: all deps configure build run test unit e2e bench format clean

all: build

deps:
	@scripts/install-deps

$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

configure: $(BUILD_DIR)/build.ninja

build: deps configure
	cmake --build $(BUILD_DIR)

run: build
	$(BUILD_DIR)/lamina serve --data-dir $(DATA_DIR)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure --timeout 1200 --parallel $(shell nproc)

unit: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -L unit

e2e: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -L e2e

bench: build
	bench/run $(BUILD_DIR)

format:
	find src tests -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
