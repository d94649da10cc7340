#!/usr/bin/env bash
# Regenerates the figures of RELIABILITY.md on this machine: the long forms
# of every attack and fault that CI runs in short form. As root (raw
# sockets, network namespaces); loopback and test namespaces only. Takes
# hours with the default sizes (the 100,000-message loss runs dominate);
# set HAIL_LOSS_MESSAGES lower for a quicker pass.
#
#   bash tools/reliability/run_all.sh [OUT]      (OUT: reliability-results)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=${1:-reliability-results}
mkdir -p "$OUT"
export HAIL_CRASH_CYCLES=${HAIL_CRASH_CYCLES:-1000}
export HAIL_LOSS_MESSAGES=${HAIL_LOSS_MESSAGES:-100000}
export HAIL_LOSS_WINDOW=${HAIL_LOSS_WINDOW:-128}
export HAIL_ONESHOT_SENDS=${HAIL_ONESHOT_SENDS:-100}
export HAIL_BLACKOUT_SECONDS=${HAIL_BLACKOUT_SECONDS:-60}
FUZZ_SECONDS=${HAIL_FUZZ_SECONDS:-600}

# 1. hail-attack --full against a haild with two loops, started and stopped
#    here by PID.
data=$(mktemp -d)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BUILD/server/haild" --data-dir "$data" --listen "127.0.0.1:$port" \
  --stun-alt-port 0 --loop-threads 2 > "$OUT/haild.log" 2>&1 &
haild=$!
trap 'kill "$haild" 2>/dev/null || true; wait "$haild" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  [[ -S "$data/admin.sock" ]] && break
  sleep 0.1
done
"$BUILD/tools/hail-attack" --full --server "127.0.0.1:$port" \
  --data-dir "$data" | tee "$OUT/attacks.txt"
kill "$haild"
wait "$haild" || true
trap 'rm -rf "$data"' EXIT

# 2. Faults, each the long form of a CI test (sizes from the environment).
run() {
  local name=$1 binary=$2 filter=$3
  echo "== $name" | tee -a "$OUT/faults.txt"
  "$BUILD/tests/$binary" --gtest_filter="$filter" 2>&1 |
    grep -E "cycles:|loss|blackout:|OK \]|FAILED" | tee -a "$OUT/faults.txt"
}
run "kill -9 during mailbox writes ($HAIL_CRASH_CYCLES cycles)" chat_test \
  '*KillNineDuringAStreamOfMailboxWrites*'
run "10% and 30% loss ($HAIL_LOSS_MESSAGES messages each way)" p2p_nat_test \
  '*LossOnThePathsToTheServer*'
run "blackout ($HAIL_BLACKOUT_SECONDS s)" p2p_nat_test '*BlackoutOfOneSide*'
run "one-shot sends at 30% loss ($HAIL_ONESHOT_SENDS)" p2p_nat_test \
  '*OneShotSendsUnderThirtyPercentLoss*'
run "full disk" chat_test 'DiskFullTest.*'

# 3. Fuzzers, FUZZ_SECONDS each, on a clang build with -DHAIL_FUZZ=ON.
if [[ -d "${FUZZ_BUILD:-build-fuzz}" ]]; then
  HAIL_FUZZ_SECONDS=$FUZZ_SECONDS bash tests/fuzz/run_fuzzers.sh \
    "${FUZZ_BUILD:-build-fuzz}" 2>&1 | tee "$OUT/fuzz.txt"
fi
echo "results in $OUT/" >&2
