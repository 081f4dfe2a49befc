#!/usr/bin/env bash
# Kill test for atomic saves (manual; not part of CI): starts saves of a weights file, SIGKILLs them
# mid-save N times (default 25), lists the temporary files left behind after each kill, then runs one
# normal save and load and checks that no temporary file of the target survives it.
# Usage: tests/ModelDsl.Runtime.Tests/IO/kill-test.sh [kills]
set -euo pipefail
cd "$(dirname "$0")/../../.."
kills=${1:-25}
floats=2000000   # an 8 MB file: each save takes long enough to be killed in the middle of it
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target="$work/model.safetensors"

dotnet build scripts/kill-save -c Release -o "$work/bin" --nologo -v quiet >/dev/null
temporaries() { find "$work" -maxdepth 1 -name '.model.safetensors.*.tmp' -printf '%f\n' | sort; }

left_total=0
for i in $(seq 1 "$kills"); do
  dotnet "$work/bin/KillSave.dll" loop "$target" "$floats" &
  pid=$!
  # Kill at a different point each round (the process starts in ~0.1-0.2 s, then saves back to back).
  sleep "0.$((30 + (i * 37) % 60))"
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  left=$(temporaries)
  n=$(printf '%s' "$left" | grep -c . || true)
  own=$(printf '%s' "$left" | grep -c "\.$pid\." || true)
  left_total=$((left_total + own))
  echo "kill $i: pid $pid killed; temporary files now: $n (of the killed pid: $own) ${left//$'\n'/ }"
done

echo "kills that left their temporary file behind: $left_total of $kills"
echo "before the normal save: $(temporaries | grep -c . || true) temporary file(s)"
dotnet "$work/bin/KillSave.dll" once "$target" "$floats"
after=$(temporaries | grep -c . || true)
echo "after one normal save and load: $after temporary file(s); files in the folder: $(find "$work" -maxdepth 1 -type f -printf '%f ')"
if [ "$after" -ne 0 ]; then
  echo "FAIL: a temporary file survived the save" >&2
  exit 1
fi
echo "PASS"
