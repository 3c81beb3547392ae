#!/bin/sh
# tests/bench/bench_console.sh: the console's responsiveness under load
# (part of `make bench`; figures, not a test: it exits 0 when a target is
# missed and says MISSED).
#
#   bench_console.sh TOP_BUILDDIR TOP_SRCDIR
#
# The plant: the demo's devices.json rewritten with jq into 10 Modbus TCP
# lines of one device each, 100 float32 points per device (addresses 0,
# 2, .. 198 of the input registers, so the simulator, which serves every
# configured point's registers, answers them; two requests a poll), one
# periodic event per device every 1000 ms: 1,000 points read per second.
# One device per line, because rule 4 (keep-alive) would let the first
# device of a shared line hold it at one poll a second.  The demo's Raman
# gateway stays too (its 4 points and a 1024-pixel spectrum every 2 s), so
# that predicts are asked for and time out.  Ports 17100..17110.
#
# Failures around it: historian.conninfo points at 127.0.0.1:17120, where
# nothing listens (connection refused, the uploader backs off), and the
# inference endpoint at the simulator's inference server on 17121 run
# with `--fault inference:drop`: it takes every request and never answers,
# so every heartbeat and predict waits its 200 ms and times out.
#
# The console runs in tmux at 80x24 (TERM=tmux-256color).  Once every
# device shows values and the status bar says both links are down:
#   - idle: 30 s (BENCH_IDLE_S) with no key; the CPU time of the console
#     process (utime + stime of /proc/PID/stat: every thread, the engine's
#     included) and of its UI thread alone (the main thread,
#     /proc/PID/task/PID/stat), over the wall time; and the samples the
#     spool gained meanwhile (nothing leaves it: the historian is down),
#     which shows that 1,000 points a second were really read;
#   - memory: VmRSS and VmHWM of /proc/PID/status after that;
#   - latency: bench_keylat sends F5 and F3 alternately (the alarm list,
#     the device table) 200 times (BENCH_KEYS) and polls capture-pane
#     until "Alarm list:" or "Device / point" shows; see bench_keylat.c
#     for what the figure includes (nothing is subtracted).
set -eu
top_builddir=$1
top_srcdir=$2
. "$top_srcdir/tests/lib.sh"

IDLE_S=${BENCH_IDLE_S:-30}
NKEYS=${BENCH_KEYS:-200}
NDEV=10
PER=100
SOCK="jope-bench-console-$$"
KEYLAT="$top_builddir/tests/bench/bench_keylat"

need tmux
need jq
[ -x "$KEYLAT" ] || fail "$KEYLAT is not built (make bench builds it)"
CLEANUPS="$CLEANUPS bench_tmux_stop"
bench_tmux_stop() { tmux -L "$SOCK" kill-server; }

mkdir -p "$T/cfg" "$T/state"
cp "$top_srcdir/config/demo/inference-model.json" "$T/cfg/"
jq --argjson base 17100 --argjson ndev "$NDEV" --argjson per "$PER" '
  . as $demo
  | ($demo.connectors[0]) as $c0
  | ($demo.devices[] | select(.id == "raman")) as $raman
  | ($demo.connectors[] | select(.id == $raman.connector)) as $rc
  | .connectors = ([range(0; $ndev) as $i
        | $c0 + {id: "bench-line-\($i + 1)", port: ($base + $i)}]
        + [$rc + {port: ($base + $ndev)}])
  | .devices = ([range(0; $ndev) as $i
        | {id: "bench-dev-\($i + 1)", name: "Bench device \($i + 1)",
           connector: "bench-line-\($i + 1)", unit_id: ($i + 1)}]
        + [$raman])
  | .points = ([range(0; $ndev) as $i | range(0; $per) as $j
        | {id: "B\($i + 1).P\($j)", device: "bench-dev-\($i + 1)",
           table: "input_register", address: ($j * 2), type: "float32",
           unit: "bar",
           sim: {wave: "sine", base: 10, amplitude: 2, period_s: 60,
                 phase: ($j / $per), noise: 0.01}}]
        + [$demo.points[] | select(.device == "raman")])
  | .events = ([range(0; $ndev) as $i
        | {id: "read-dev-\($i + 1)", period_ms: 1000,
           devices: ["bench-dev-\($i + 1)"]}]
        + [$demo.events[] | select(.devices == ["raman"] or .spectra != null)])
  | .recipes = [.recipes[0] | .points = ["B1.P0", "B1.P1"]]
' "$top_srcdir/config/demo/devices.json" >"$T/cfg/devices.json" ||
    fail "cannot generate devices.json"
jq -n '{site: "Bench Plant", console_id: "bench-console", theme: "dark",
        historian: {conninfo: "host=127.0.0.1 port=17120 dbname=jope user=jope connect_timeout=2"},
        inference: {endpoint: "tcp://127.0.0.1:17121", model: "smb-pls"}}' \
    >"$T/cfg/app.json"
"$JOPE" -c "$T/cfg" check-config >"$T/check.out" 2>&1 ||
    { cat "$T/check.out" >&2; fail "the generated config is invalid"; }
npoints=$(jq '[.points[] | select(.device | startswith("bench-dev-"))] | length' \
    "$T/cfg/devices.json")

start_sim "$T/cfg" --fault inference:drop
tmux -L "$SOCK" -f /dev/null new-session -d -s bench -x 80 -y 24 \
    "env TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 '$JOPE' console \
    -c '$T/cfg' --state-dir '$T/state' 2>'$T/console.err'; echo \$? >'$T/rc'" ||
    fail "cannot start tmux"
screen() { tmux -L "$SOCK" capture-pane -p -t bench 2>/dev/null; }
links_down() {
    s=$(screen)
    printf '%s\n' "$s" | grep -q 'Inference: down' &&
        printf '%s\n' "$s" | grep -q 'Historian: down'
}
values() {
    screen | grep -q 'B1\.P0 .*[0-9] bar'
}
wait_until 300 links_down ||
    { screen >&2; cat "$T/console.err" >&2; fail "the links were not down within 30 s"; }
# F3: the device table, whatever screen the console opens on.
tmux -L "$SOCK" send-keys -t bench F3
wait_until 100 values ||
    { screen >&2; fail "no values on the device table within 10 s"; }
PID=$(sed -n 's/^console pid \([0-9]*\)$/\1/p' "$T/state/engine.lock")
[ -n "$PID" ] && [ -d "/proc/$PID" ] || fail "no console pid in engine.lock"
# Let the start-up work (connects, first read plans) pass.
sleep 3

HZ=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "$1"; }
# Samples in the spool: counted in it when sqlite3 is there, else the
# engine's last published figure (up to a few seconds old).
samples() {
    if command -v sqlite3 >/dev/null 2>&1; then
        sqlite3 -readonly "$T/state/spool.db" 'SELECT count(*) FROM samples'
    else
        "$JOPE" -c "$T/cfg" --state-dir "$T/state" status --json 2>/dev/null |
            jq '.spool.samples'
    fi
}
s0=$(samples)
t0=$(date +%s%N)
p0=$(ticks "/proc/$PID/stat")
u0=$(ticks "/proc/$PID/task/$PID/stat")
sleep "$IDLE_S"
p1=$(ticks "/proc/$PID/stat")
u1=$(ticks "/proc/$PID/task/$PID/stat")
t1=$(date +%s%N)
s1=$(samples)
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status")
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$PID/status")
nthreads=$(ls "/proc/$PID/task" | wc -l)

echo "== console: $npoints points polled once a second on $NDEV lines (+ the Raman gateway), historian unreachable, inference not answering"
"$KEYLAT" "$SOCK" bench "$NKEYS" F5 "Alarm list:" F3 "Device / point" \
    >"$T/keylat.out" 2>&1 || { cat "$T/keylat.out" >&2; fail "bench_keylat"; }
grep -v '^RESULT ' "$T/keylat.out"
tmux -L "$SOCK" send-keys -t bench q
sleep 0.3
tmux -L "$SOCK" send-keys -t bench y
wait_until 100 test -e "$T/rc" || true

# Every figure from here on is arithmetic on what was measured above.
eval "$(sed -n 's/^RESULT //p' "$T/keylat.out" | tr ' ' '\n' |
    sed -n 's/^\(p50\|p95\|p99\|max\|res_mean\|res_p95\|timeouts\)=\([0-9.]*\)$/k_\1=\2/p')"
awk -v hz="$HZ" -v p0="$p0" -v p1="$p1" -v u0="$u0" -v u1="$u1" \
    -v t0="$t0" -v t1="$t1" -v s0="$s0" -v s1="$s1" -v rss="$rss" \
    -v hwm="$hwm" -v nth="$nthreads" -v p95="${k_p95:-}" -v p50="${k_p50:-}" \
    -v p99="${k_p99:-}" -v res="${k_res_mean:-}" -v to="${k_timeouts:-}" '
function verdict(ok) { return ok ? "MET" : "MISSED" }
BEGIN {
    wall = (t1 - t0) / 1e9
    cpu = (p1 - p0) / hz / wall * 100
    ui = (u1 - u0) / hz / wall * 100
    rate = (s1 - s0) / wall
    printf "idle %.1f s: %.0f samples stored per second (spool %d -> %d); %d threads\n", \
        wall, rate, s0, s1, nth
    printf "CPU from /proc utime+stime at %d ticks/s (resolution %.2f %% over this window)\n", \
        hz, 100 / (hz * wall)
    printf "\n%-44s %12s %10s  %s\n", "measure", "value", "target", "verdict"
    printf "%-44s %9.1f ms %10s  %s\n", "keystroke to screen p95 (tmux, 80x24)", p95, "< 50 ms", \
        verdict(p95 != "" && p95 + 0 < 50 && to + 0 == 0)
    printf "%-44s %9.1f ms %10s\n", "  p50", p50, ""
    printf "%-44s %9.1f ms %10s\n", "  p99", p99, ""
    printf "%-44s %9.2f ms %10s\n", "  capture-pane polling resolution (mean)", res, ""
    printf "%-44s %10.3f %% %10s  %s\n", "idle CPU, console process (all threads)", cpu, "< 2 %", \
        verdict(cpu < 2)
    printf "%-44s %10.3f %% %10s\n", "  of which the UI thread", ui, ""
    printf "%-44s %9.1f MB %10s  %s\n", "resident memory (VmRSS)", rss / 1024, "< 50 MB", \
        verdict(rss / 1024 < 50)
    printf "%-44s %9.1f MB %10s\n", "  peak (VmHWM)", hwm / 1024, ""
}'
exit 0
