#!/bin/sh
# tests/bench/run.sh: `make bench`.  Figures, not pass/fail.
#
# Polling and dispatch: the simulator with one device on a loopback port,
# the engine against bare libmodbus, and the executor's own overhead.
#
# Inference: bench_inference times predict round trips of a 1024-pixel
# spectrum through the console's path against the simulator's inference
# server (ports 16600..16607), next to a bare ZeroMQ REQ/REP echo of the
# same bytes, and the f32le pixel frame against JSON pixels.
#
# Console: bench_console.sh (see there) measures the console in tmux while
# it polls 1,000 points a second: keystroke latency, idle CPU and memory.
#
# Historian: a throwaway PostgreSQL 15 cluster of its own (tests/pg_lib.sh)
# on port 15991, migrated by `jope-smb db migrate`; then bench_historian
# measures spool ingest, the uploader against psql \copy of the same rows,
# and binary against text COPY.  pg_lib.sh runs the cluster with fsync=off
# for speed; here fsync is turned back on, so that the uploader's commits
# and psql's both reach the disk, as they must in the plant.  The password
# reaches bench_historian and psql through PGPASSWORD, never argv.
set -eu
top_builddir=$1
top_srcdir=$2
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pg_lib.sh"

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
stop_sim

# Inference: the simulator serving only its inference host (the demo
# config and model, its ports moved by 1580 into 16600..16606 all the
# same), against a bare ZeroMQ REQ/REP echo that bench_inference forks on
# 16607.
echo "== inference: predict round trips (console path) vs bare ZeroMQ echo, f32le vs json pixels"
copy_config "$top_srcdir/config/demo" "$T/inf" 1580
start_sim "$T/inf" --only inference --inference tcp://127.0.0.1:16606 \
    --model "$T/inf/inference-model.json"
"$top_builddir/tests/bench/bench_inference" tcp://127.0.0.1:16606 \
    tcp://127.0.0.1:16607 "${BENCH_INFER_N:-20000}" "${BENCH_INFER_WARMUP:-1000}"
stop_sim

# The console under load (tests/bench/bench_console.sh, ports 17100..17121):
# keystroke-to-screen latency in tmux, idle CPU and resident memory with
# 1,000 points a second, the historian unreachable and inference timing
# out.  Its own MET/MISSED table; a failure to run it does not stop the rest.
if command -v tmux >/dev/null 2>&1; then
    sh "$top_srcdir/tests/bench/bench_console.sh" \
        "$top_builddir" "$top_srcdir" || echo "(bench_console.sh failed)"
else
    echo "== console: tmux is not installed, skipped"
fi

printf '%s\n' '== historian: spool ingest, uploader vs psql \copy, binary vs text COPY'
HB="$top_builddir/tests/bench/bench_historian"
mkdir "$T/hist"
if ! _pg_find_bin >/dev/null; then
    echo "(PostgreSQL 15 server not installed: spool ingest only)"
    "$HB" "$T/hist" "${BENCH_SAMPLES:-1000000}"
    exit 0
fi
pg_start 15991
mkdir "$T/hcfg"
cp "$top_srcdir/config/demo/devices.json" "$T/hcfg/"
umask 077
printf '%s\n' "$PG_PASSWORD" >"$T/pgpass"
umask 022
jq -n --arg ci "$PG_CONNINFO" --arg pf "$T/pgpass" \
    '{site: "bench", console_id: "bench",
      historian: {conninfo: $ci, password_file: $pf}}' >"$T/hcfg/app.json"
"$JOPE" -c "$T/hcfg" --state-dir "$T/state" db migrate >"$T/migrate.log" 2>&1 ||
    { cat "$T/migrate.log" >&2; fail "db migrate"; }
pg_psql "ALTER SYSTEM SET fsync = on" "SELECT pg_reload_conf()" >/dev/null
fsync_on() { [ "$(pg_psql "SHOW fsync")" = on ]; }
wait_until 50 fsync_on || fail "fsync did not come back on"
echo "(fsync turned back on for this benchmark: every COMMIT of either side is flushed)"
PGPASSWORD=$PG_PASSWORD "$HB" "$T/hist" "${BENCH_SAMPLES:-1000000}" \
    "$PG_CONNINFO" "host=$PG_SOCK port=$PG_PORT dbname=jope user=$PG_SUPER" \
    "$PG_BIN/psql" "${BENCH_BATCH_ROWS:-20000}" "${BENCH_HIST_ROUNDS:-3}"
