#!/bin/sh
# tests/bench/run.sh: `make bench`.  Starts the simulator with one device on
# a loopback port and runs both benchmarks.  Figures, not pass/fail.
set -eu
top_builddir=$1
top_srcdir=$2
T=$(mktemp -d)
trap 'kill $SIM_PID 2>/dev/null; rm -rf "$T"' EXIT
cat >"$T/app.json" <<JSON
{"site": "bench", "console_id": "bench"}
JSON
cat >"$T/devices.json" <<JSON
{"connectors": [{"id": "bench", "kind": "tcp", "host": "127.0.0.1", "port": 15990}],
 "devices": [{"id": "bench", "connector": "bench", "unit_id": 1}],
 "points": [{"id": "block", "device": "bench", "table": "holding_register",
             "address": 0, "type": "uint16"}]}
JSON
# 125 registers: one point per register so the block is served.
jq '.points = [range(0;125) | {id: "r\(.)", device: "bench", table: "holding_register", address: ., type: "uint16"}]' \
    "$T/devices.json" >"$T/d.json" && mv "$T/d.json" "$T/devices.json"
"$top_builddir/jope-smb-sim" -c "$T" --ready-file "$T/ready" >"$T/sim.log" 2>&1 &
SIM_PID=$!
n=0; while [ ! -e "$T/ready" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
echo "== polling: engine vs bare libmodbus, 125 holding registers per read"
"$top_builddir/tests/bench/bench_poll" 127.0.0.1 15990 1 "${BENCH_SECONDS:-2}" "${BENCH_ROUNDS:-5}"
echo "== executor dispatch overhead"
"$top_builddir/tests/bench/bench_dispatch" "${BENCH_TASKS:-200000}"
