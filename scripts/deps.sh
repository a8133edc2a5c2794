#!/usr/bin/env bash
# Installs the Debian 12 packages that kinship's build, tests and benchmarks
# need. Only what is missing is installed, so a second run costs one dpkg
# query. Runs as root (or through sudo when it is there).
set -euo pipefail

pkgs=(
  # build
  gcc make pkg-config meson ninja-build
  libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev libsodium-dev
  # tests
  libcriterion-dev libcurl4-openssl-dev postgresql python3 python3-jsonschema
  sqlite3 curl valgrind clang libclang-rt-14-dev e2fsprogs
  # benchmarks
  wrk nginx-light
)

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
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
