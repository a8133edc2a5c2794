#!/usr/bin/env bash
# Runs a test binary under valgrind's memcheck and fails on any error or
# definite leak in it or in any process it starts. Used as a meson test
# wrapper:  meson test -C build --suite unit --wrapper scripts/valgrind.sh
#
# Criterion runs every test in a child process and judges a test by its
# assertions, not by the child's exit status, so valgrind's own
# --error-exitcode never reaches meson. Each process writes its report to a
# file instead, and this script reads the reports.
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: $0 PROGRAM [ARGS...]" >&2; exit 2; }
logs=$(mktemp -d /tmp/kinship-valgrind-XXXXXX)
trap 'rm -rf "$logs"' EXIT

valgrind --quiet --trace-children=yes --child-silent-after-fork=no \
  --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
  --error-exitcode=99 --track-fds=no --num-callers=30 \
  --log-file="$logs/vg.%p.log" "$@"
rc=$?

bad=0
for f in "$logs"/vg.*.log; do
  [ -s "$f" ] || continue # --quiet: a clean process writes nothing
  echo "---- valgrind report: $(basename "$f")" >&2
  cat "$f" >&2
  bad=1
done
if [ "$bad" -ne 0 ]; then
  echo "valgrind: errors or definite leaks (reports above)" >&2
  exit 1
fi
exit "$rc"
