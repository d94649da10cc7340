#!/usr/bin/env bash
# Regenerates the figures of BENCHMARKS.md on this machine: hail-bench's
# scenarios at full scale against haild (2 loops: one per core), each
# chat/max run with the bare ENet relay baseline of the same run, then the
# same shapes against ejabberd and Prosody (tools/bench/xmpp/run.sh starts
# and stops them). Every run checks exactly-once delivery and fails loudly.
#
#   bash tools/bench/run_all.sh [OUT]     (OUT: bench-results by default)
#
# Needs a build in $BUILD (default build/) and root for the XMPP servers'
# installation. Takes about 20 minutes; run it on a quiet machine. Accounts
# are kept in $OUT/hail-state and reused by later runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=${1:-bench-results}
mkdir -p "$OUT"
STATE="$OUT/hail-state"
LOOPS=${LOOPS:-2}

hail() {
  local name=$1
  shift
  echo "== hail $name: $*" >&2
  "$BUILD/tools/hail-bench" --haild "$BUILD/server/haild" --state "$STATE" \
    --json --haild-arg=--loop-threads=$LOOPS "$@" | tee "$OUT/hail-$name.json"
}

xmpp() {
  local server=$1 name=$2
  shift 2
  echo "== $server $name: $*" >&2
  tools/bench/xmpp/run.sh "$server" --json "$@" | tee "$OUT/$server-$name.json"
}

hail max-200 max 200 1000 --duration 10 --baseline
hail max-1000 max 1000 1000 --duration 10 --baseline
hail chat-1000 chat 1000 5000 --duration 10 --baseline
hail idle-50000 idle 50000 --duration 10 --threads 2
hail offline-1000 offline 1000 --messages 50 --threads 2
hail reconnect-10000 reconnect 10000 --threads 2

for server in ejabberd prosody; do
  xmpp "$server" max-200 --duration=10 max 200 1000
  xmpp "$server" max-1000 --duration=10 max 1000 1000
  xmpp "$server" chat-1000 --duration=10 chat 1000 5000
  xmpp "$server" idle-1000 --duration=10 idle 1000
done
echo "results in $OUT/" >&2
