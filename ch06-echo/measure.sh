#!/usr/bin/env bash
# measure.sh OUTDIR: the figures of chapter 6, on a quiet Linux machine.
#
# It starts the servers, the book's runtime (ch06-echo), the usual Go way
# (ch06-echo -std) and, if GNET is set, gnet, each pinned to CPU 0 and on
# a port of its own (ADDR's port, the next, the one after), and then, with
# the load generator pinned to CPU 1:
#
#   - for 1, 100 and 1000 connections of 64-byte messages, RUNS rounds of
#     one run against each server in turn,
#       ch06-echo -load -conns N -size 64 -d D -warmup W -pid SERVER
#     (round trips/s, latency, the server's CPU and the generator's CPU per
#     round trip). The servers take turns, run by run, so that a machine
#     whose speed drifts over minutes (a virtual machine's often does)
#     drifts under all of them alike; an idle server costs nothing;
#   - for each server, a fresh process and one run of
#       ch06-echo -load -hold -conns 10000 -d 2s -pid SERVER
#     (the server's RSS and descriptors per idle connection, after one
#     round trip on each), so that the RSS starts from a server that has
#     served nothing. Every raw report goes to OUTDIR (book-c100-r1.txt,
# std-hold.txt, the servers' logs, ...) and a summary, the lines the book
# needs with the median of the runs, to stdout and OUTDIR/summary.txt;
# OUTDIR/bench.txt has every run's server CPU per round trip and memory
# per connection as lines of go test -bench output, for the book's charts.
#
# Settings, from the environment (defaults in brackets):
#   RUNS [5]          runs per connection count
#   D [10s]  W [1s]   measured time and warm-up of each run
#   CONNS ["1 100 1000"]  SIZE [64]  HOLD [10000]
#   ADDR [127.0.0.1:18080]   where the servers listen
#   BIN               a ch06-echo binary [built from this checkout into OUTDIR]
#   SERVER            the server binary, if not BIN (it must take -addr and
#                     -std, and exit on SIGINT)
#   SERVER_FLAGS      more server flags, e.g. "-max-conns 20000" if the
#                     default limit is below HOLD
#   GNET              a third server to measure, the gnet echo of
#                     ch06-echo/gnet (a module of its own: build it there)
#   SPARE             if set, a fourth: the book's server with one worker
#                     and GOMAXPROCS=2, a P to spare for the worker that
#                     waits in epoll_wait ("book+P")
#   NETPOLL           if set, one more: the book's server with -netpoller,
#                     its idle worker asleep in Go's netpoller ("book+np")
#
# Needs Linux (the -pid figures read /proc), taskset (util-linux), two
# CPUs, and a descriptor limit above HOLD for each process (ulimit -n; Go
# raises the soft limit to the hard one by itself). Not run by the tests:
# it takes minutes and wants a machine with nothing else running.
#
# Example (a short try, not the book's figures):
#   RUNS=1 D=1s W=200ms HOLD=1000 ch06-echo/measure.sh /tmp/ch06-try
set -euo pipefail

[ $# -eq 1 ] || { sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
out=$1
RUNS=${RUNS:-5} D=${D:-10s} W=${W:-1s}
CONNS=${CONNS:-"1 100 1000"} SIZE=${SIZE:-64} HOLD=${HOLD:-10000}
ADDR=${ADDR:-127.0.0.1:18080} SERVER_FLAGS=${SERVER_FLAGS:-}

[ "$(uname -s)" = Linux ] || { echo "measure.sh: needs Linux's /proc" >&2; exit 1; }
command -v taskset >/dev/null || { echo "measure.sh: needs taskset (util-linux)" >&2; exit 1; }
[ "$(nproc --all)" -ge 2 ] || { echo "measure.sh: needs two CPUs" >&2; exit 1; }
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -le "$HOLD" ]; then
	echo "measure.sh: the descriptor limit $(ulimit -Hn) is not above HOLD=$HOLD" >&2
	exit 1
fi

mkdir -p "$out"
rm -f "$out/bench.txt"
if [ -z "${BIN:-}" ]; then
	BIN=$out/ch06-echo
	(cd "$(dirname "$0")/.." && go build -o "$BIN" ./ch06-echo)
fi
SERVER=${SERVER:-$BIN}
host=${ADDR%:*} port=${ADDR##*:}
servers="book ${SPARE:+book+P} ${NETPOLL:+book+np} std ${GNET:+gnet}"

declare -A pid addr
i=0
for name in $servers; do
	addr[$name]=$host:$((port + i))
	i=$((i + 1))
done

# start_server NAME: starts the server on CPU 0 and waits until it
# accepts connections.
start_server() {
	local name=$1 h=${addr[$1]%:*} p=${addr[$1]##*:}
	h=${h#[} h=${h%]}
	case $name in
	gnet) taskset -c 0 "$GNET" -addr "${addr[$name]}" >>"$out/$name-server.log" 2>&1 & ;;
	book+P)
		# shellcheck disable=SC2086
		GOMAXPROCS=2 taskset -c 0 "$SERVER" -workers 1 -addr "${addr[$name]}" $SERVER_FLAGS >>"$out/$name-server.log" 2>&1 & ;;
	book+np)
		# shellcheck disable=SC2086
		taskset -c 0 "$SERVER" -netpoller -addr "${addr[$name]}" $SERVER_FLAGS >>"$out/$name-server.log" 2>&1 & ;;
	std)
		# shellcheck disable=SC2086 # SERVER_FLAGS is a list of words
		taskset -c 0 "$SERVER" -std -addr "${addr[$name]}" $SERVER_FLAGS >>"$out/$name-server.log" 2>&1 & ;;
	*)
		# shellcheck disable=SC2086
		taskset -c 0 "$SERVER" -addr "${addr[$name]}" $SERVER_FLAGS >>"$out/$name-server.log" 2>&1 & ;;
	esac
	pid[$name]=$!
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/$h/$p") 2>/dev/null; then
			return 0
		fi
		kill -0 "${pid[$name]}" 2>/dev/null || break
		sleep 0.1
	done
	echo "measure.sh: the $name server did not start; see $out/$name-server.log" >&2
	exit 1
}

# stop_server NAME: SIGINT, as a reader's ^C, and up to 15s for a
# graceful exit.
stop_server() {
	local p=${pid[$1]}
	kill -INT "$p" 2>/dev/null || true
	for _ in $(seq 150); do
		kill -0 "$p" 2>/dev/null || { wait "$p" || true; unset "pid[$1]"; return; }
		sleep 0.1
	done
	echo "measure.sh: the $1 server ignored SIGINT for 15s; killing it" >&2
	kill -KILL "$p"; wait "$p" || true; unset "pid[$1]"
}
trap 'for p in "${pid[@]}"; do kill -KILL "$p" 2>/dev/null || true; done' EXIT

# load NAME FILE ARGS...: one run of the generator on CPU 1 against NAME,
# its report in FILE.
load() {
	local name=$1 file=$2; shift 2
	if ! taskset -c 1 "$BIN" -load -addr "${addr[$name]}" -pid "${pid[$name]}" "$@" >"$file" 2>&1; then
		echo "measure.sh: a run failed; see $file:" >&2
		tail -n 3 "$file" >&2
		exit 1
	fi
}

# field FILE LABEL N: the Nth word after LABEL's column in a report.
field() { awk -v l="$2" -v n="$3" 'substr($0, 1, 16) ~ "^"l" " { split(substr($0, 17), w, /[ ,()]+/); print w[n] }' "$1"; }

# bench NAME VALUE UNIT: one line of OUTDIR/bench.txt, in the format of
# go test -bench, which go run ./cmd/book charts draws (book/figures).
bench() { printf 'Benchmark%s\t1\t%s %s\n' "$1" "${2%µs}" "$3" >>"$out/bench.txt"; }

# median: the middle of the numbers on stdin (the lower middle for even
# counts), units and all.
median() { sort -g | awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }'; }

{
	echo "ch06-echo figures: $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc --all) CPUs"
	echo "servers on CPU 0, load generator on CPU 1; $RUNS rounds of $D after $W, $SIZE-byte messages"
	echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo
	printf '%-6s %5s  %9s  %9s  %9s  %10s  %10s\n' \
		server conns "trips/s" p50 p99 "server/rt" "gen/rt"
} | tee "$out/summary.txt"

for name in $servers; do
	start_server "$name"
done
total=$(( $(echo $CONNS | wc -w) * RUNS * $(echo $servers | wc -w) )) k=0
for n in $CONNS; do
	for r in $(seq "$RUNS"); do
		for name in $servers; do
			k=$((k + 1))
			echo "measure.sh: [$k/$total] $name, $n connections, run $r of $RUNS" >&2
			load "$name" "$out/$name-c$n-r$r.txt" -conns "$n" -size "$SIZE" -d "$D" -warmup "$W"
			bench "Echo/$name/c$n" "$(field "$out/$name-c$n-r$r.txt" 'server CPU' 1)" us/rt
		done
	done
	for name in $servers; do
		files=("$out/$name-c$n"-r*.txt)
		col() { for f in "${files[@]}"; do field "$f" "$1" "$2"; done | median; }
		printf '%-6s %5s  %9s  %9s  %9s  %10s  %10s\n' "$name" "$n" \
			"$(col 'round trips' 1)" "$(col latency 2)" "$(col latency 4)" \
			"$(col 'server CPU' 1)" "$(col 'generator CPU' 1)" | tee -a "$out/summary.txt"
	done
done
for name in $servers; do
	stop_server "$name"
done

echo | tee -a "$out/summary.txt"
printf '%-6s %6s  %12s  %10s\n' server held "RSS/conn" "fds/conn" | tee -a "$out/summary.txt"
for name in $servers; do
	echo "measure.sh: $name holding $HOLD idle connections" >&2
	start_server "$name"
	load "$name" "$out/$name-hold.txt" -hold -conns "$HOLD" -d 2s
	bench "Hold/$name" "$(field "$out/$name-hold.txt" 'server memory' 1)" B/conn
	stop_server "$name"
	printf '%-6s %6s  %10s B  %10s\n' "$name" "$HOLD" \
		"$(field "$out/$name-hold.txt" 'server memory' 1)" \
		"$(field "$out/$name-hold.txt" 'server fds' 1)" | tee -a "$out/summary.txt"
done
