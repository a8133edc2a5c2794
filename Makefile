# kinship's front door. The build is Meson + Ninja; these targets wrap it.
#   make run    install dependencies, build, create a key if needed, serve
#   make test   the whole suite: unit, store and HTTP tests on SQLite and on
#               a throwaway PostgreSQL, the contract check, then all again
#               under AddressSanitizer + UndefinedBehaviorSanitizer
BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all deps build run test bench fuzz install clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: build
	@scripts/run.sh $(BUILD)/kinship

test: deps
	@scripts/test.sh

bench: build
	@bench/run.sh $(BUILD)/kinship

install: build
	meson configure $(BUILD) --prefix=$(PREFIX) >/dev/null
	DESTDIR=$(DESTDIR) meson install -C $(BUILD) --no-rebuild

clean:
	rm -rf build build-asan
