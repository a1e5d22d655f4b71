#!/usr/bin/env bash
# measure.sh OUTDIR: the figures of chapter 7, on a quiet Linux machine
# with two CPUs.
#
# It builds ch07-http's test binary (and, if FASTHTTP is set, the
# benchmark module in ch07-http/fasthttp) and runs BenchmarkFetch, which
# fetches 1,000 URLs of a 1 KiB JSON answer from a net/http server at
# -c 1, 10 and 100, RUNS times, in two set-ups:
#
#   - together: the server in the benchmark's own process, as
#       go test -run '^$' -bench Fetch ./ch07-http
#     runs it (the clients and the server share both CPUs);
#   - apart: the server in a process of its own pinned to CPU 0
#     (TestBenchServer), the benchmark pinned to CPU 1.
#
# Each run is a fresh process with every client in it, one after the
# other at each -c, so that a machine whose speed drifts over minutes (a
# virtual machine's often does) drifts under all of them alike. The raw
# output goes to OUTDIR/together.txt and OUTDIR/apart.txt (and
# OUTDIR/fasthttp.txt); OUTDIR/summary.txt has the medians and each
# client's median ratio to net/http's time, run by run.
#
# Settings, from the environment (defaults in brackets):
#   RUNS [10]                  runs of each set-up
#   ADDR [127.0.0.1:18090]     where the apart server listens
#   FASTHTTP                   if set, also run ch07-http/fasthttp's
#                              benchmark apart (it downloads fasthttp)
#   ONLY_FASTHTTP              if set (with FASTHTTP), run nothing else
#   BENCHTIME [1s]             go test's -benchtime for every run
set -euo pipefail
out=${1:?usage: measure.sh OUTDIR}
RUNS=${RUNS:-10}
ADDR=${ADDR:-127.0.0.1:18090}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
rm -f "$out"/together.txt "$out"/apart.txt "$out"/fasthttp.txt

go test -c -o "$out/ch07-http.test" "$here"
if [ -n "${FASTHTTP:-}" ]; then
	(cd "$here/fasthttp" && go test -c -o "$out/fasthttp.test" .)
fi

# The benchmark looks for its package's files in its working directory.
cd "$here"
bt=${BENCHTIME:-1s}
only=${ONLY_FASTHTTP:+${FASTHTTP:-}}
for r in $(seq "$RUNS"); do
	[ -z "$only" ] || break
	echo "measure.sh: together, run $r of $RUNS" >&2
	"$out/ch07-http.test" -test.run '^$' -test.bench Fetch -test.benchtime "$bt" >>"$out/together.txt"
done

CH07_BENCH_SERVE=$ADDR taskset -c 0 "$out/ch07-http.test" -test.run TestBenchServer -test.timeout 2h \
	>"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 100); do
	if (exec 3<>"/dev/tcp/${ADDR%:*}/${ADDR##*:}") 2>/dev/null; then
		break
	fi
	sleep 0.1
done
for r in $(seq "$RUNS"); do
	echo "measure.sh: apart, run $r of $RUNS" >&2
	if [ -z "$only" ]; then
		CH07_BENCH_SERVER=http://$ADDR taskset -c 1 "$out/ch07-http.test" -test.run '^$' -test.bench Fetch \
			-test.benchtime "$bt" >>"$out/apart.txt"
	fi
	if [ -n "${FASTHTTP:-}" ]; then
		CH07_BENCH_SERVER=http://$ADDR taskset -c 1 "$out/fasthttp.test" -test.run '^$' -test.bench . \
			-test.benchtime "$bt" >>"$out/fasthttp.txt"
	fi
done

# summary: median ms per 1,000 URLs, and the median of each run's ratio
# to std's time in the same run.
for f in together apart fasthttp; do
	[ -s "$out/$f.txt" ] || continue
	echo "== $f"
	awk '
	/^BenchmarkFetch\// {
		split($1, p, "/"); c = p[2]; cl = p[3]; sub(/-[0-9]+$/, "", cl)
		n[c, cl]++; v[c, cl, n[c, cl]] = $5
		if (!(c in seenc)) { seenc[c] = 1; cs[++nc] = c }
		if (!(cl in seencl)) { seencl[cl] = 1; cls[++ncl] = cl }
	}
	function median(a, k,   i, j, t) {
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
	}
	END {
		for (i = 1; i <= nc; i++) {
			c = cs[i]; line = c
			for (j = 1; j <= ncl; j++) {
				cl = cls[j]; k = n[c, cl]
				delete a; delete r
				for (m = 1; m <= k; m++) { a[m] = v[c, cl, m]; r[m] = v[c, cl, m] / v[c, "std", m] }
				line = line sprintf("  %s %.1f ms (%.2fx)", cl, median(a, k), median(r, k))
			}
			print line
		}
	}' "$out/$f.txt"
done | tee "$out/summary.txt"
