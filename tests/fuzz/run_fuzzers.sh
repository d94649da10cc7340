#!/usr/bin/env bash
# Runs every Hail fuzzer for a fixed time on its SPEC.md seed corpus and fails
# if any of them crashes. Builds nothing: configure with -DHAIL_FUZZ=ON
# (clang) and build first.
#
# usage: tests/fuzz/run_fuzzers.sh BUILD_DIR
#   HAIL_FUZZ_SECONDS  seconds per fuzzer (default 20)
#
# New inputs go to BUILD_DIR/.../fuzz/work/<fuzzer>/ (kept between runs),
# crash reproducers to BUILD_DIR/.../fuzz/artifacts/.
set -u

if [[ $# -ne 1 || ! -d "$1" ]]; then
  echo "usage: $0 BUILD_DIR   (HAIL_FUZZ_SECONDS=20)" >&2
  exit 2
fi
build_dir=$1
seconds=${HAIL_FUZZ_SECONDS:-20}
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [[ "$seconds" -lt 1 ]]; then
  echo "HAIL_FUZZ_SECONDS must be a positive integer, got '$seconds'" >&2
  exit 2
fi

fuzzers=(fuzz_message fuzz_presession fuzz_secure_channel fuzz_dissect
         fuzz_stream_framing fuzz_stun fuzz_store_records)
failed=()
for fuzzer in "${fuzzers[@]}"; do
  binary=""
  for candidate in "$build_dir/tests/fuzz/$fuzzer" "$build_dir/fuzz/$fuzzer" \
                   "$build_dir/$fuzzer"; do
    if [[ -x "$candidate" ]]; then
      binary=$candidate
      break
    fi
  done
  if [[ -z "$binary" ]]; then
    echo "run_fuzzers: $fuzzer not found under $build_dir (built with -DHAIL_FUZZ=ON?)" >&2
    failed+=("$fuzzer(missing)")
    continue
  fi
  fuzz_dir=$(dirname "$binary")
  seeds=$fuzz_dir/corpus/$fuzzer
  work=$fuzz_dir/work/$fuzzer
  artifacts=$fuzz_dir/artifacts
  mkdir -p "$work" "$artifacts"
  if [[ ! -d "$seeds" ]]; then
    echo "run_fuzzers: no seed corpus at $seeds" >&2
    failed+=("$fuzzer(no corpus)")
    continue
  fi
  echo "== $fuzzer: ${seconds}s, seeds $seeds"
  if "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$artifacts/$fuzzer-" \
       "$work" "$seeds"; then
    echo "== $fuzzer: ok"
  else
    echo "== $fuzzer: FAILED (reproducer in $artifacts)" >&2
    failed+=("$fuzzer")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "run_fuzzers: failed: ${failed[*]}" >&2
  exit 1
fi
echo "run_fuzzers: all ${#fuzzers[@]} fuzzers ran ${seconds}s without a crash"
