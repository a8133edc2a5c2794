#!/usr/bin/env bash
# Installs the Debian 12 packages kinship needs, by group, so that each make
# target installs only what it uses:
#
#   scripts/deps.sh          build and run (make build, make run, make install)
#   scripts/deps.sh test     that, plus what make test runs: Criterion and
#                            libcurl (the test programs), PostgreSQL, the
#                            contract check, sqlite3 and chattr (the fault
#                            tests), valgrind, clang and libFuzzer (the
#                            fuzzers), clang-format (the formatting check),
#                            chromium, its driver and python3-selenium (the
#                            console in a real browser)
#   scripts/deps.sh fuzz     build and run, plus clang and libFuzzer (make fuzz)
#   scripts/deps.sh bench    build and run, plus wrk, nginx, PostgreSQL
#                            (pgbench), python3, sqlite3 and curl (make bench)
#
# Several groups may be named at once. Only what is missing is installed, so
# a second run costs one dpkg query. Runs as root (or through sudo when it
# is there).
set -euo pipefail

# gcc, pkg-config and the -dev libraries also build bench/preload.c;
# python3 embeds api/openapi.json into the binary at build time.
build=(gcc make pkg-config meson ninja-build python3
  libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev libsodium-dev)
fuzz=(clang libclang-rt-14-dev)
# e2fsprogs: chattr, with which tests/http/test_sqlite_faults.c makes
# database files unwritable.
test=(libcriterion-dev libcurl4-openssl-dev postgresql python3 python3-jsonschema
  sqlite3 curl valgrind e2fsprogs clang-format "${fuzz[@]}"
  chromium chromium-driver python3-selenium)
bench=(wrk nginx-light postgresql python3 sqlite3 curl)

pkgs=("${build[@]}")
for group in "$@"; do
  case "$group" in
  build) ;;
  test) pkgs+=("${test[@]}") ;;
  fuzz) pkgs+=("${fuzz[@]}") ;;
  bench) pkgs+=("${bench[@]}") ;;
  *)
    echo "usage: scripts/deps.sh [build|test|fuzz|bench ...]" >&2
    exit 2
    ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  [[ " ${missing[*]} " == *" $p "* ]] && continue
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != *'install ok installed'* ]]; then
    missing+=("$p")
  fi
done

[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
