#!/usr/bin/env bash
# Starts the service as the README says (embedded default, in memory), then checks /health and that the printed dev
# token is accepted. Used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${SMOKE_PORT:-18000}"
log="$(mktemp)"
PORT="$port" SCRIBE_DATA_DIR=memory setsid npx --yes pnpm@10.34.9 start >"$log" 2>&1 &
pid=$!
trap 'kill -- -"$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 1
done
health="$(curl -s -w ' %{http_code}' "http://127.0.0.1:$port/health")"
echo "health: $health"
[[ "$health" == *" 200" ]] || { cat "$log"; exit 1; }
token="$(grep -o 'SCRIBE_TOKEN=[^ ]*' "$log" | head -n1 | cut -d= -f2)"
[[ -n "$token" ]] || { echo "no dev token printed"; cat "$log"; exit 1; }
created="$(curl -s -w ' %{http_code}' -X POST "http://127.0.0.1:$port/api/email/generate" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"email_template":"Dear {{name}}, I enjoyed your work on {{research}}.","recipient_name":"Prof. Ada Lovelace","recipient_interest":"analytical engines"}')"
echo "generate: $created"
[[ "$created" == *" 202" ]] || { cat "$log"; exit 1; }
unauthorized="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/queue/")"
[[ "$unauthorized" == "401" ]] || { echo "expected 401 without a token, got $unauthorized"; exit 1; }
echo "smoke: ok"
