#!/usr/bin/env bash
# make fuzz: the fuzz tests of tests/fuzz with the long Hypothesis profile, in rounds with fresh
# seeds until FUZZ_SECONDS (default 600) have passed; prints the cases tried per parser and the
# failing rounds. A failing payload is kept under /tmp/veilleuse-fuzz-*/ (path printed).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-.venv/bin}"
budget="${FUZZ_SECONDS:-600}"
log="$(mktemp -t veilleuse-fuzz-XXXX.jsonl)"
export VEILLEUSE_FUZZ_PROFILE=fuzz VEILLEUSE_FUZZ_LOG="$log"
start=$SECONDS
rounds=0
failed=0
while (( SECONDS - start < budget )); do
  rounds=$((rounds + 1))
  seed=$RANDOM$RANDOM
  echo "round $rounds (seed $seed, $((SECONDS - start)) s of $budget s)"
  if ! "$BIN/pytest" tests/fuzz -q -p no:cacheprovider -m fuzz --hypothesis-seed="$seed" "$@"; then
    failed=$((failed + 1))
  fi
done
"$BIN/python" - "$log" "$rounds" "$failed" "$((SECONDS - start))" <<'PY'
import json, sys
from collections import Counter
log, rounds, failed, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
total = Counter()
for line in open(log, encoding="utf-8"):
    total.update(json.loads(line)["cases"])
for module, n in sorted(total.items()):
    print(f"{module:<20} {n:>7} cases")
print(f"total {sum(total.values())} cases in {rounds} rounds, {seconds} s; failing rounds: {failed}")
PY
exit $(( failed > 0 ))
