#!/usr/bin/env bash
# Starts the service as the README says (embedded default, here in memory, on the default port 8000), checks /health
# and the printed dev token, then runs the README's curl walk-through verbatim and checks what it printed.
# Used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
log="$(mktemp)"
out="$(mktemp)"
SCRIBE_DATA_DIR=memory setsid npx --yes pnpm@10.34.9 start >"$log" 2>&1 &
pid=$!
trap 'kill -- -"$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do
  curl -fs "http://127.0.0.1:8000/health" >/dev/null 2>&1 && break
  sleep 1
done
health="$(curl -s -w ' %{http_code}' "http://127.0.0.1:8000/health")"
echo "health: $health"
[[ "$health" == *" 200" ]] || { cat "$log"; exit 1; }
unauthorized="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:8000/api/queue/")"
[[ "$unauthorized" == "401" ]] || { echo "expected 401 without a token, got $unauthorized"; exit 1; }

# The user pastes the export line start printed.
eval "$(grep -ao 'export SCRIBE_TOKEN=[^ ]*' "$log" | head -n1)"
[[ -n "${SCRIBE_TOKEN:-}" ]] || { echo "no dev token printed"; cat "$log"; exit 1; }
export SCRIBE_TOKEN

# The README's block, as written.
sed -n '/<!-- walkthrough:start -->/,/<!-- walkthrough:end -->/p' README.md | sed '1,2d;$d' | sed '$d' >"$out.sh"
timeout 120 bash -e "$out.sh" >"$out" 2>/dev/null || { echo "walk-through failed"; cat "$out"; cat "$log"; exit 1; }
cat "$out"
expect() { grep -q -- "$1" "$out" || { echo "walk-through output lacks: $1"; exit 1; }; }
expect '"email_message":"Dear Ada Lovelace'
expect '"queue_item_ids":\['
expect '"position":'
grep -qE 'Queue item cancelled|Cannot cancel item with status' "$out" || { echo "no cancel answer"; exit 1; }
echo "walk-through: ok"
