#!/usr/bin/env bash
# scripts/tsan.sh CLIENT_BUILD TSAN_BUILD: the HTTP suites of CLIENT_BUILD
# driving a kinship server built with ThreadSanitizer in TSAN_BUILD, on
# SQLite and, when KINSHIP_TEST_PG_URL is set, on PostgreSQL.
#
# Criterion's runner does not start under ThreadSanitizer, so the clients
# stay plain and only the server is instrumented. That is where the threads
# are: the polling threads, the SQLite writer and its checkpoint thread, the
# page workers and the PostgreSQL worker pool, the organization cache they
# share. The suites' concurrent tests (parallel writes, the crash test's
# load, idempotent retries racing) run against it.
#
# A race report fails the run: the server writes it to its own file under
# the report directory (a server killed on purpose never reaches its exit
# code, so the files are the proof), and a server that reported one also
# exits 66 instead of 0, which fails the suite's clean-stop check.
set -uo pipefail
cd "$(dirname "$0")/.."
clients=${1:?usage: scripts/tsan.sh CLIENT_BUILD TSAN_BUILD}
tsan=${2:?usage: scripts/tsan.sh CLIENT_BUILD TSAN_BUILD}

if [ ! -f "$tsan/build.ninja" ]; then
  meson setup "$tsan" -Db_sanitize=thread -Db_lundef=false >/dev/null || exit 1
fi
ninja -C "$tsan" kinship >/dev/null || ninja -C "$tsan" kinship || exit 1

reports=$(mktemp -d /tmp/kinship-tsan-XXXXXX)
trap 'rm -rf "$reports"' EXIT
export KINSHIP_BIN=$(cd "$tsan" && pwd)/kinship
export KINSHIP_SPEC=$PWD/api/openapi.json KINSHIP_SOURCE_ROOT=$PWD
export TSAN_OPTIONS="log_path=$reports/race second_deadlock_stack=1"

failed=0
run() { # store, suite executable
  local name
  name=$(basename "$2")
  if KINSHIP_TEST_STORE=$1 "$2" --jobs 2 > "$reports/out-$1-$name" 2>&1; then
    echo "   $name on $1: ok"
  else
    echo "   $name on $1: FAILED"
    tail -n 20 "$reports/out-$1-$name"
    failed=1
  fi
}

for t in "$clients"/tests/http/http_*; do
  [ -f "$t" ] && [ -x "$t" ] || continue
  case $(basename "$t") in
  http_pg_*) ;; # stops the shared PostgreSQL: run alone by the plain suites
  http_sqlite_*) run sqlite "$t" ;;
  *)
    run sqlite "$t"
    if [ -n "${KINSHIP_TEST_PG_URL:-}" ]; then run pg "$t"; fi
    ;;
  esac
done

if compgen -G "$reports/race*" >/dev/null; then
  echo "ThreadSanitizer reported races ($(cat "$reports"/race* | grep -c '^WARNING: ThreadSanitizer') in all; the first):"
  cat "$reports"/race* | head -n 80
  failed=1
fi
exit $failed
