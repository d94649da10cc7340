#!/usr/bin/env bash
# Runs hail-bench-xmpp scenarios against a private ejabberd or Prosody.
#
#   run.sh ejabberd|prosody [--opt=value ...] SCENARIO ARGS [, SCENARIO ARGS ...]
#
# e.g. run.sh prosody --json --duration=10 max 200 1000 , idle 1000
#
# Options (--name=value form) go to every hail-bench-xmpp run; scenarios are
# separated by a lone ",". One server instance serves all scenarios of a call:
# it is configured in a fresh temp dir, started bound to 127.0.0.1 on a free
# port, polled until it accepts c2s connections, given the accounts once
# (in-band registration, as many as the largest N), then each scenario runs,
# and finally the server (and, for ejabberd, the epmd started here) is
# stopped by PID and the temp dir removed. Exits non-zero if any run failed.
#
# Environment: HAIL_BENCH_XMPP = path of the hail-bench-xmpp binary (default:
# build/tools/bench/xmpp/hail-bench-xmpp, built if missing).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"

usage() {
  sed -n '2,8p' "$0" >&2
  exit 2
}
[ $# -ge 3 ] || usage
server="$1"
shift
case "$server" in ejabberd | prosody) ;; *) usage ;; esac

# Split the arguments into options for every run and scenario groups.
opts=()
groups=()
current=""
for a in "$@"; do
  if [ "$a" = "," ]; then
    [ -n "$current" ] && groups+=("$current")
    current=""
  elif [[ "$a" == --* ]]; then
    opts+=("$a")
  else
    current="${current:+$current }$a"
  fi
done
[ -n "$current" ] && groups+=("$current")
[ "${#groups[@]}" -gt 0 ] || usage
max_clients=0
for g in "${groups[@]}"; do
  read -r -a words <<<"$g"
  [ "${#words[@]}" -ge 2 ] || usage
  [ "${words[1]}" -gt "$max_clients" ] && max_clients="${words[1]}"
done

"$here/install.sh"

bench="${HAIL_BENCH_XMPP:-$repo/build/tools/bench/xmpp/hail-bench-xmpp}"
if [ ! -x "$bench" ]; then
  echo "building hail-bench-xmpp" >&2
  cmake -S "$repo" -B "$repo/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  nice -n 10 cmake --build "$repo/build" -j2 --target hail-bench-xmpp >/dev/null
fi

# Thousands of sockets on both sides: raise the soft fd limit to the hard one
# (20000 on the benchmark machine; 5000 clients need about 5000 per side).
fd_limit="$(ulimit -Hn)"
[ "$fd_limit" = unlimited ] && fd_limit=65536
ulimit -n "$fd_limit"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Polls until something accepts TCP on 127.0.0.1:$1 while PID $2 lives.
wait_port() {
  local port="$1" pid="$2" i
  for ((i = 0; i < 1200; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# Polls until the server has closed every c2s connection (at most 60 s), so
# the next scenario, or the shutdown, does not overlap the disconnects of the
# last one (Prosody 0.12 logs a traceback when SIGTERM meets them).
wait_disconnected() {
  local i
  for ((i = 0; i < 600; i++)); do
    [ "$(ss -Htn state established "( sport = :$port )" 2>/dev/null | wc -l)" -eq 0 ] && return 0
    sleep 0.1
  done
  echo "$server still has c2s connections after 60 s" >&2
}

dir="$(mktemp -d "/tmp/hail-xmpp-$server.XXXXXX")"
server_pid=""
epmd_pid=""

# Stops a process by PID: TERM, then KILL after 20 s.
stop_pid() {
  local pid="$1" i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  [ -n "$server_pid" ] && [ -n "${port:-}" ] && wait_disconnected
  stop_pid "$server_pid"
  stop_pid "$epmd_pid"
  # The configs log warnings and errors only: show what the server said.
  local log
  for log in "$dir/prosody.log" "$dir/log/ejabberd.log"; do
    if [ -s "$log" ]; then
      echo "$server log: $(wc -l <"$log") lines of warnings/errors; last ${HAIL_XMPP_LOG_LINES:-5}:" >&2
      tail -n "${HAIL_XMPP_LOG_LINES:-5}" "$log" | cut -c1-300 | sed 's/^/  /' >&2
    fi
  done
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port="$(free_port)"
sed -e "s|@PORT@|$port|g" -e "s|@DIR@|$dir|g" \
  "$here/$( [ "$server" = ejabberd ] && echo ejabberd.yml.in || echo prosody.cfg.lua.in)" \
  >"$dir/$( [ "$server" = ejabberd ] && echo ejabberd.yml || echo prosody.cfg.lua)"

if [ "$server" = ejabberd ]; then
  mkdir -p "$dir/spool" "$dir/log"
  # A private epmd on loopback and a free port, so nothing of ours listens on
  # other interfaces and no other Erlang node is disturbed; private node
  # name and random cookie; distribution bound to 127.0.0.1.
  epmd_port="$(free_port)"
  export ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT="$epmd_port"
  epmd -address 127.0.0.1 -port "$epmd_port" >"$dir/log/epmd.log" 2>&1 &
  epmd_pid=$!
  wait_port "$epmd_port" "$epmd_pid" || { echo "epmd did not start" >&2; exit 1; }
  cookie="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  # What ejabberdctl's "foreground" does, minus its switch to the ejabberd
  # user and the system paths. erl execs beam.smp, so $! is the VM's PID.
  (
    cd "$dir"
    export HOME="$dir" ERL_LIBS=/usr/lib/x86_64-linux-gnu \
      EJABBERD_CONFIG_PATH="$dir/ejabberd.yml" \
      EJABBERD_LOG_PATH="$dir/log/ejabberd.log" \
      ERL_CRASH_DUMP="$dir/log/erl_crash.dump" ERL_MAX_PORTS="$fd_limit" \
      ERL_MAX_ETS_TABLES=1400
    exec erl -sname "hailbench$$@localhost" -setcookie "$cookie" \
      -noinput -start_epmd false \
      -kernel inet_dist_use_interface '{127,0,0,1}' \
      +K true +P 250000 -mnesia dir "\"$dir/spool\"" -s ejabberd
  ) >"$dir/log/stdout.log" 2>&1 &
  server_pid=$!
else
  mkdir -p "$dir/data" "$dir/certs"  # certs: empty, silences a warning.
  prosody -F --config "$dir/prosody.cfg.lua" >"$dir/stdout.log" 2>&1 &
  server_pid=$!
fi

if ! wait_port "$port" "$server_pid"; then
  echo "$server did not start accepting c2s connections; its logs:" >&2
  tail -n 40 "$dir"/*.log "$dir"/log/*.log 2>/dev/null >&2 || true
  exit 1
fi
echo "$server: pid $server_pid ($(cat "/proc/$server_pid/comm")), c2s on 127.0.0.1:$port, dir $dir" >&2
echo "$server: listening sockets:" >&2
listeners="$(ss -ltnp 2>/dev/null | grep -E "pid=($server_pid|${epmd_pid:-0}),")" || true
echo "${listeners:-  (ss -ltnp showed none)}" | awk '{print "  " $4, $NF}' >&2

common=(--server="$server" --port="$port" --domain=localhost)
start=$(date +%s%N)
"$bench" "${common[@]}" register "$max_clients" >&2 ||
  { echo "account registration failed" >&2; exit 1; }
echo "$server: $max_clients accounts ready in $((($(date +%s%N) - start) / 1000000)) ms" >&2

status=0
for g in "${groups[@]}"; do
  read -r -a words <<<"$g"
  wait_disconnected
  "$bench" "${common[@]}" --server-pid="$server_pid" "${opts[@]}" "${words[@]}" || status=1
done
exit "$status"
