# kinship's front door. The build is Meson + Ninja; these targets wrap it.
# Each target installs the Debian packages it needs and no more
# (scripts/deps.sh GROUP): build, run and install the build group; test,
# fuzz and bench add their own.
#   make run    install dependencies, build, create a key if needed, serve
#   make test   the whole suite: unit, store and HTTP tests on SQLite and on
#               a throwaway PostgreSQL, the contract check, then all again
#               under AddressSanitizer + UndefinedBehaviorSanitizer, the HTTP
#               tests against a ThreadSanitizer server, the unit tests under
#               valgrind, and each fuzzer for a few seconds, and an install
#               into a scratch DESTDIR, after checking the formatting
#               (clang-format) and the include boundaries between layers
#   make fuzz   build the libFuzzer harnesses (clang, build-fuzz/) and run
#               each for FUZZ_SECONDS (default 60) from fuzz/corpus/
#   make install  the binary, systemd unit, man page and docs under
#               $(DESTDIR)$(PREFIX) (PREFIX defaults to /usr/local)
BUILD ?= build
FUZZ_SECONDS ?= 60
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all deps build run test bench fuzz install clean

all: build

# The packages to build and run kinship.
deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: build
	@scripts/run.sh $(BUILD)/kinship

# scripts/test.sh installs the test packages (scripts/deps.sh test) itself.
test:
	@scripts/test.sh

fuzz:
	@scripts/deps.sh fuzz
	@scripts/fuzz.sh -t $(FUZZ_SECONDS)

bench: build
	@scripts/deps.sh bench
	@bench/run.sh $(BUILD)/kinship

# The binary, the systemd unit (ExecStart = $(PREFIX)/bin/kinship) and its
# sysusers.d user, the man page and the docs, under $(DESTDIR)$(PREFIX).
# Only the binary is built: ninja also regenerates what the prefix changes.
install: deps $(BUILD)/build.ninja
	meson configure $(BUILD) --prefix=$(PREFIX) >/dev/null
	ninja -C $(BUILD) kinship
	DESTDIR=$(DESTDIR) meson install -C $(BUILD) --no-rebuild

clean:
	rm -rf build build-asan build-tsan build-fuzz build-install
