#!/usr/bin/env bash
# The formatting check: every tracked .c and .h file under src/, tests/,
# fuzz/ and bench/ must be as clang-format (Debian's, version 14) would write
# it with the checked-in .clang-format. Changes nothing; prints the files
# that would change and exits 1 when there are any (2 when clang-format is
# missing or fails). To fix a file: clang-format -i FILE.
set -uo pipefail
cd "$(dirname "$0")/.."

command -v clang-format >/dev/null ||
  { echo "check-format: clang-format is missing (scripts/deps.sh test)" >&2; exit 2; }
[ -f .clang-format ] || { echo "check-format: no .clang-format in $PWD" >&2; exit 2; }

files=()
while IFS= read -r -d '' f; do
  [ -f "$f" ] && files+=("$f") # a file deleted but not yet committed is skipped
done < <(
  # Outside a git checkout (an exported tree), every such file on disk.
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z -- 'src/*.[ch]' 'tests/*.[ch]' 'fuzz/*.[ch]' 'bench/*.[ch]'
  else
    find src tests fuzz bench -type f -name '*.[ch]' -print0 2>/dev/null | sort -z
  fi
)
[ ${#files[@]} -gt 0 ] || { echo "check-format: no C files under src/, tests/, fuzz/, bench/" >&2; exit 2; }

# One run over every file: --Werror makes each difference a diagnostic that
# starts with the file's name.
out=$(clang-format --style=file --dry-run --Werror "${files[@]}" 2>&1)
rc=$?
bad=$(grep -E '^[^ :]+:[0-9]+:[0-9]+: (error|warning):' <<<"$out" | cut -d: -f1 | sort -u)
if [ -n "$bad" ]; then
  echo "$bad"
  echo "check-format: $(wc -l <<<"$bad") of ${#files[@]} files are not formatted as" \
    ".clang-format says (clang-format --dry-run FILE shows where; clang-format -i FILE fixes)" >&2
  exit 1
fi
if [ "$rc" -ne 0 ]; then
  echo "$out" >&2
  echo "check-format: clang-format failed (exit $rc)" >&2
  exit 2
fi
echo "check-format: ${#files[@]} files formatted as .clang-format says"
