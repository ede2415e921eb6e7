#!/usr/bin/env bash
# Browser tests of the web inbox: real headless Chromium (Debian's), driven by
# playwright-core, against a real `baton serve` on a temporary SQLite file.
# Prints a final line "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
fail() { echo "e2e: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

if [ ! -x /usr/bin/chromium ]; then
  echo "e2e: installing chromium" >&2
  (apt-get install -y chromium >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y chromium >/dev/null 2>&1; }) \
    || fail "cannot install chromium"
fi
(cd "$here" && npm ci --no-audit --no-fund >/dev/null 2>&1) || fail "npm ci failed"

(cd "$root" && cargo build -q -p baton) || fail "cargo build failed"
target="$(cd "$root" && cargo metadata --format-version 1 --no-deps | python3 -c 'import sys,json;print(json.load(sys.stdin)["target_directory"])')"
baton="$target/debug/baton"
[ -x "$baton" ] || fail "no baton binary at $baton"

work="$(mktemp -d)"
export BATON_DATABASE_URL="sqlite://$work/baton.db"
port="$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')"
export BATON_LISTEN="127.0.0.1:$port"
"$baton" demo --conversations 40 >"$work/tokens.tsv" 2>"$work/demo.log" || fail "baton demo failed: $(tail -3 "$work/demo.log")"
"$baton" serve >"$work/serve.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || fail "server did not start: $(tail -5 "$work/serve.log")"

export BATON_BASE="http://127.0.0.1:$port"
export BATON_TOKENS="$work/tokens.tsv"
export BATON_SCREENSHOTS="$root/docs/screenshots"
mkdir -p "$BATON_SCREENSHOTS"
cd "$here"
node --test --test-concurrency=1 --test-reporter=tap tests/*.test.mjs >"$work/tap.txt" 2>&1
status=$?
cat "$work/tap.txt"
pass="$(grep -E '^# pass ' "$work/tap.txt" | awk '{print $3}')"
failed="$(grep -E '^# fail ' "$work/tap.txt" | awk '{print $3}')"
pass="${pass:-0}"; failed="${failed:-0}"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$pass passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
