#!/bin/bash
# Unpipelined A/B with the noise of a shared machine in view: a Keel with no log, a Keel with
# `appendfsync everysec` and a Redis with everysec run side by side on one core (CPU 1),
# redis-benchmark on the other (CPU 0); rounds interleave the three. Per run it prints ops/s,
# the server's CPU per operation (/proc/PID/stat), and the client's TCP segments per operation
# (nstat), which show whether the servers differ in what they make the client do.
#
# usage: tools/bench/p1-ab.sh [ROUNDS] [COMMAND...]   e.g. tools/bench/p1-ab.sh 4 LPUSH l e:__rand_int__
# Needs: target/release/keel-server (cargo build --release), redis-server, redis-benchmark, nstat, bc.
set -euo pipefail
ROUNDS=${1:-4}; shift || true
CMD=("${@:-LPUSH}"); [ $# -eq 0 ] && CMD=(LPUSH mylist element:__rand_int__)
N=${N:-100000}; P=${P:-1}
KEEL=${KEEL:-target/release/keel-server}
D=$(mktemp -d)
trap 'kill $A $B $R 2>/dev/null; rm -rf "$D"' EXIT
taskset -c 1 "$KEEL" --port 7801 --dir "$D/a" --appendonly no --save "" >/dev/null 2>&1 & A=$!
taskset -c 1 "$KEEL" --port 7803 --dir "$D/b" --appendonly yes --appendfsync everysec --save "" >/dev/null 2>&1 & B=$!
mkdir -p "$D/r"
taskset -c 1 redis-server --port 7802 --dir "$D/r" --save "" --appendonly yes --appendfsync everysec --bind 127.0.0.1 >/dev/null 2>&1 & R=$!
sleep 1
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
echo "round | keel no log: ops/s, server µs/op, segs/op | keel everysec | redis everysec"
for r in $(seq "$ROUNDS"); do
  line="$r"
  for pp in "7801 $A" "7803 $B" "7802 $R"; do
    set -- $pp
    c0=$(cpu "$2"); nstat -n >/dev/null
    out=$(taskset -c 0 redis-benchmark -p "$1" -c 50 -n "$N" -P "$P" -r 1000000 --csv "${CMD[@]}" 2>/dev/null | tail -1 | cut -d, -f2 | tr -d '"')
    c1=$(cpu "$2")
    segs=$(nstat -z TcpOutSegs | awk -v n="$N" 'NR>1 {printf "%.2f", $2/n}')
    line="$line | ${out%.*} $(echo "scale=1; ($c1-$c0)*10000/$N" | bc) $segs"
  done
  echo "$line"
done
