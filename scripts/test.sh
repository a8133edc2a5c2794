#!/usr/bin/env bash
# make test: the whole suite, twice (a normal build, then AddressSanitizer +
# UndefinedBehaviorSanitizer), on SQLite and on a throwaway PostgreSQL this
# script starts and stops itself, plus the contract check of every response
# against api/openapi.json, the HTTP suites against a ThreadSanitizer
# server, the unit tests under valgrind, and each libFuzzer
# harness for a few seconds (FUZZ_TEST_SECONDS, default 5) from its seed
# corpus. Right after the build it checks the formatting (clang-format with
# .clang-format) and the include boundaries between layers. Installs what it
# needs first (scripts/deps.sh test). Ends with one line: "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/deps.sh test

work=$(mktemp -d /tmp/kinship-make-test-XXXXXX)
pgdir=$work/pg
cleanup() {
  scripts/pg-test-server.sh stop "$pgdir" --rm >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

passed=0
failed=0
failures=()
record() { # name status
  if [ "$2" -eq 0 ]; then
    passed=$((passed + 1))
    echo "== $1: ok"
  else
    failed=$((failed + 1))
    failures+=("$1")
    echo "== $1: FAILED"
  fi
}

# The failed tests of a meson log, each with the end of its output: repeated
# at the very end of the run, where a log cut to its last lines still shows it.
failed_tests() { # meson json log
  [ -f "$1" ] || return 0
  /usr/bin/python3 - "$1" <<'PY' >> "$work/failures.txt"
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t.get("result") in ("OK", "SKIP", "EXPECTEDFAIL"):
        continue
    print(f"--- {t['name']}: {t['result']} (exit {t.get('returncode')})")
    out = (t.get("stdout") or "") + (t.get("stderr") or "")
    for l in out.splitlines()[-15:]:
        print("    " + l[:300])
PY
}

# One PostgreSQL for both builds; every test uses accounts of its own.
pgport=$(free_port)
if url=$(scripts/pg-test-server.sh start "$pgdir" "$pgport"); then
  export KINSHIP_TEST_PG_URL=$url KINSHIP_TEST_PG_DIR=$pgdir
  echo "== postgresql: $url"
else
  echo "== postgresql: could not start (the pg suites will fail)"
  unset KINSHIP_TEST_PG_URL
fi

run_build() { # dir, meson options...
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" > "$work/setup-$dir.log" 2>&1 || { cat "$work/setup-$dir.log"; return 1; }
  fi
  ninja -C "$dir" >/dev/null || ninja -C "$dir"
}

run_suite() { # label, build dir
  local label=$1 dir=$2 log=$work/contract-$1.jsonl
  : > "$log"
  KINSHIP_CONTRACT_LOG=$log meson test -C "$dir" --print-errorlogs --num-processes 2 \
    --logbase "testlog-$label" 2>&1 | tail -n 40
  local rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || failed_tests "$dir/meson-logs/testlog-$label.json"
  record "$label tests (unit, store and http on sqlite and postgresql)" "$rc"
  /usr/bin/python3 tests/contract/validate.py api/openapi.json "$log"
  record "$label contract check of every JSON response" $?
}

# A build directory that `make run` configured before the test packages were
# there has no tests in it (tests/meson.build skips them without Criterion
# and libcurl): configure it again now that they are installed.
if [ -f build/build.ninja ] && ! grep -q ':unit"' <<<"$(meson introspect build --tests)"; then
  meson setup --reconfigure build > "$work/reconfigure-build.log" 2>&1 || cat "$work/reconfigure-build.log"
fi
run_build build
record "build (-Wall -Wextra -Werror)" $?
scripts/check-format.sh
record "formatting (clang-format, .clang-format)" $?
scripts/check-includes.sh
record "include boundaries" $?
run_suite plain build

# Each part of Sequence's document that is at hand; every operation of
# kinship's that none of them has must be marked an extension.
specs=
for f in ../shared/spec/sequence-customers-2024-07-30.json \
  ../shared/spec/sequence-notifications-activity-2024-07-30.json; do
  [ -f "$f" ] && specs="$specs $f"
done
if [ -n "$specs" ]; then
  # shellcheck disable=SC2086 # one argument per file
  /usr/bin/python3 tests/contract/validate.py --check-spec api/openapi.json $specs
  record "schemas, operationIds and parameters of Sequence's operations (customers: 19; notifications and activity logs: 10) match Sequence's" $?
fi

# The console (docs/console.md) in Debian's Chromium, driven through
# chromedriver against the real binary: on a memory: store, and again on the
# test PostgreSQL when it started. A missing browser fails the step.
/usr/bin/python3 tests/browser/test_console.py build/kinship
record "console in a real browser (Chromium: sign in, find, draw, add a member, API errors)" $?

# The unit tests again under valgrind: memory errors and definite leaks
# fail them (scripts/valgrind.sh reads the report of every process, since
# Criterion runs each test in a child of its own).
meson test -C build --suite unit --num-processes 1 --timeout-multiplier 5 \
  --wrapper "$root/scripts/valgrind.sh" --logbase testlog-valgrind --print-errorlogs 2>&1 |
  tail -n 20
vrc=${PIPESTATUS[0]}
[ "$vrc" -eq 0 ] || failed_tests build/meson-logs/testlog-valgrind-valgrind.sh.json
record "unit tests under valgrind (no memory errors, no definite leaks)" "$vrc"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_build build-asan -Db_sanitize=address,undefined -Db_lundef=false
record "sanitizer build" $?
run_suite asan build-asan

# The HTTP suites again, against a server built with ThreadSanitizer: a data
# race in any of its threads fails the step (scripts/tsan.sh).
scripts/tsan.sh build build-tsan
record "http tests against a ThreadSanitizer server (no data races)" $?

# Each fuzzer, briefly, from its checked-in corpus (make fuzz runs longer).
for f in fuzz/fuzz_*.c; do
  n=${f#fuzz/fuzz_}
  n=${n%.c}
  scripts/fuzz.sh -t "${FUZZ_TEST_SECONDS:-5}" "$n"
  record "fuzz $n (${FUZZ_TEST_SECONDS:-5} s from fuzz/corpus/$n, ASan + UBSan)" $?
done

# make install with PREFIX and DESTDIR, from a build directory of its own.
scripts/install-check.sh build-install
record "make install into a scratch DESTDIR (binary, systemd unit, man page, docs)" $?

echo
if [ "$failed" -gt 0 ]; then
  echo "Failed steps:"
  printf '  %s\n' "${failures[@]}"
  [ -s "$work/failures.txt" ] && cat "$work/failures.txt"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
