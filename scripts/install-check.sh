#!/usr/bin/env bash
# Checks `make install`: installs with PREFIX=/opt/kinship into a scratch
# DESTDIR, from a build directory of its own (default build-install, so the
# main build keeps its prefix), then checks what landed: the binary runs,
# the systemd unit names it and passes systemd-analyze, the sysusers.d entry,
# the man page renders without warnings, the docs. Exits non-zero on the
# first thing missing.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-install}
prefix=/opt/kinship
dest=$(mktemp -d /tmp/kinship-install-XXXXXX)
trap 'rm -rf "$dest"' EXIT
fail() { echo "install-check: $*" >&2; exit 1; }

[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
make -s install BUILD="$build" PREFIX="$prefix" DESTDIR="$dest" >/dev/null
root=$dest$prefix
unit=$root/lib/systemd/system/kinship.service

for f in bin/kinship lib/systemd/system/kinship.service lib/sysusers.d/kinship.conf \
         share/man/man1/kinship.1 share/doc/kinship/README.md \
         share/doc/kinship/configuration.md share/doc/kinship/operations.md; do
  [ -f "$root/$f" ] || fail "missing $prefix/$f"
done
[ -x "$root/bin/kinship" ] || fail "$prefix/bin/kinship is not executable"
version=$("$root/bin/kinship" --version) || fail "kinship --version failed"
case $version in "kinship "*) ;; *) fail "kinship --version said: $version" ;; esac
# Whole outputs first: `grep -q` stops reading at its match, and under
# pipefail the writer's SIGPIPE would then fail the check now and then.
help=$("$root/bin/kinship" serve --help) || fail "serve --help failed"
grep -q -- '--listen' <<<"$help" || fail "serve --help lists no settings"

grep -qx "ExecStart=$prefix/bin/kinship serve" "$unit" || fail "the unit's ExecStart is not $prefix/bin/kinship"
for line in User=kinship StateDirectory=kinship Restart=on-failure NoNewPrivileges=yes \
            ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
            Environment=KINSHIP_DB=sqlite:/var/lib/kinship/kinship.db; do
  grep -qx "$line" "$unit" || fail "the unit lacks $line"
done
grep -q '^u kinship ' "$root/lib/sysusers.d/kinship.conf" || fail "sysusers.d makes no kinship user"

if command -v systemd-analyze >/dev/null; then
  # ExecStart must exist to verify: point it into DESTDIR for the check.
  sed "s|^ExecStart=$prefix/|ExecStart=$root/|" "$unit" > "$dest/kinship.service"
  systemd-analyze verify --man=no "$dest/kinship.service" || fail "systemd-analyze verify"
  exposure=$(systemd-analyze security --offline=yes "$dest/kinship.service" 2>/dev/null |
             sed -n 's/.*Overall exposure level for kinship.service: \([0-9.]*\).*/\1/p')
  awk -v e="${exposure:-10}" 'BEGIN { exit !(e + 0 <= 2.0) }' ||
    fail "systemd-analyze security rates the unit ${exposure:-?} (want 2.0 or less)"
else
  echo "install-check: no systemd-analyze: the unit is not verified"
fi

page=$root/share/man/man1/kinship.1
if command -v man >/dev/null; then
  warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || fail "man -l failed"
  [ -z "$warnings" ] || fail "the man page renders with warnings: $warnings"
  text=$(MANWIDTH=80 man -l "$page" 2>/dev/null)
  grep -q 'EXIT STATUS' <<<"$text" || fail "the man page lacks EXIT STATUS"
elif command -v mandoc >/dev/null; then
  mandoc -T lint -W warning "$page" || fail "mandoc -T lint"
else
  echo "install-check: neither man nor mandoc: the man page is not rendered"
fi
echo "install-check: ok ($version; $prefix under a scratch DESTDIR)"
