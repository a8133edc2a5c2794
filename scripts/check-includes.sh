#!/usr/bin/env bash
# The include-boundary check: imports point one way between the layers of
# src/ (docs/architecture.md, "Layers"), and each third-party library is
# seen from one folder only. Reads every #include line of every .c and .h
# under src/ (tracked or new), resolves "..." includes relative to the
# including file, and prints each one that crosses a boundary as
#
#   FILE:LINE: layer X may not include Y
#
# Exits 1 when there is any, 0 when there is none.
set -uo pipefail
cd "$(dirname "$0")/.."

# Which layers each layer may include. A file's layer is its folder under
# src/ (src/store/sqlite/, src/store/pg/ and src/store/paging.* are store);
# src/main.c is cli.
declare -A may=(
  [core]="core"
  [domain]="core domain"
  [store]="core domain store"
  [rules]="core domain store rules"
  [http]="core http"
  [api]="core domain store rules http api"
  [cli]="core domain store rules http api cli"
)

# Each third-party library's header, and the one folder that may include it.
# Other <...> headers (libc, POSIX) are free to all.
declare -A home=(
  [sodium.h]=src/core
  [jansson.h]=src/domain
  [sqlite3.h]=src/store/sqlite
  [libpq-fe.h]=src/store/pg
  [microhttpd.h]=src/http
)

layer="" # set by layer_of
layer_of() { # path under the repository root
  layer=""
  case "$1" in
  src/main.c) layer=cli ;;
  src/*/*)
    local top=${1#src/}
    top=${top%%/*}
    [ -n "${may[$top]+x}" ] && layer=$top
    ;;
  esac
}

resolved="" # set by resolve
resolve() { # dir, relative path: "a/b/../c" -> "a/c" (no file system access)
  local -a parts out=()
  local p
  IFS=/ read -r -a parts <<<"$1/$2"
  for p in "${parts[@]}"; do
    case "$p" in
    "" | .) ;;
    ..) [ ${#out[@]} -gt 0 ] && unset 'out[${#out[@]}-1]' ;;
    *) out+=("$p") ;;
    esac
  done
  local IFS=/
  resolved="${out[*]}"
}

violations=0
report() { # file, line, message
  echo "$1:$2: $3"
  violations=$((violations + 1))
}

files=()
while IFS= read -r -d '' f; do
  [ -f "$f" ] && files+=("$f")
done < <(
  # Outside a git checkout (an exported tree), every file under src/.
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z -c -o --exclude-standard -- 'src/*.c' 'src/*.h' | sort -zu
  else
    find src -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -zu
  fi
)
[ ${#files[@]} -gt 0 ] || { echo "check-includes: no files under src/" >&2; exit 2; }

for f in "${files[@]}"; do
  layer_of "$f"
  from=$layer
  if [ -z "$from" ]; then
    report "$f" 1 "not in any layer (add its folder to the table in $0)"
    continue
  fi
  n=0
  while IFS= read -r line; do
    n=$((n + 1))
    [[ "$line" =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*([\"\<])([^\"\>]+)[\"\>] ]] || continue
    kind=${BASH_REMATCH[1]} name=${BASH_REMATCH[2]}
    if [ "$kind" = "<" ]; then
      owner=${home[$name]:-}
      if [ -n "$owner" ] && [[ "$f" != "$owner"/* ]]; then
        report "$f" "$n" "layer $from may not include <$name> (only $owner may)"
      fi
      continue
    fi
    resolve "${f%/*}" "$name"
    if [ ! -f "$resolved" ]; then
      report "$f" "$n" "layer $from may not include \"$name\" (no file $resolved)"
      continue
    fi
    layer_of "$resolved"
    to=$layer
    if [ -z "$to" ]; then
      report "$f" "$n" "layer $from may not include $resolved (outside the layers of src/)"
    elif [[ " ${may[$from]} " != *" $to "* ]]; then
      report "$f" "$n" "layer $from may not include $resolved (layer $to)"
    fi
  done <"$f"
done

if [ "$violations" -gt 0 ]; then
  echo "check-includes: $violations includes cross a layer boundary (docs/architecture.md)" >&2
  exit 1
fi
echo "check-includes: ${#files[@]} files keep to the layers' boundaries"
