#!/bin/sh
# test_collect.sh: the walking skeleton end to end on real Modbus TCP.
#
# jope-smb-sim serves the demo plant on loopback; `jope-smb run` polls it for
# a few seconds.  Then the spool must hold samples for every configured point,
# with values inside what the simulator can produce and timestamps that only
# go forward; the log must be JSON lines with the executor's events; `status`
# must tell a running engine from a stopped one.  Then the failure paths: a
# second engine on the same state dir is refused, and a device that is not
# there ends in HardError with every failed connect stored as an error record.
. "$(dirname "$0")/../lib.sh"
need jq
need sqlite3

CFG="$T/config"
ST="$T/state"
copy_config "$top_srcdir/config/demo" "$CFG" 400
# Modbus collection only (test_inference.sh has the inference link): a
# slow first connect to the inference host under a sanitizer is not a
# collection error of this plant.
jq 'del(.inference)' "$CFG/app.json" >"$T/app.json" && mv "$T/app.json" "$CFG/app.json"
SPOOL="$ST/spool.db"

start_sim "$CFG"

# --- collect for a few seconds, check status while it runs ---------------
"$JOPE" run -c "$CFG" --state-dir "$ST" --duration 5 2>"$T/run.err" &
RUN_PID=$!
CLEANUPS="kill\ $RUN_PID"
wait_until 50 test -s "$SPOOL" || fail "no spool created"
sleep 2
"$JOPE" status -c "$CFG" --state-dir "$ST" --json >"$T/status.json"
rc=$?
[ $rc -eq 0 ] || fail "status exit $rc while running (want 0)"
[ "$(jq -r .running "$T/status.json")" = true ] || fail "status: not running"
[ "$(jq -r .mode "$T/status.json")" = run ] || fail "status: mode"
pass "status reports the running engine"

# A second engine on the same state dir is refused, naming the first.
if "$JOPE" run -c "$CFG" --state-dir "$ST" --duration 1 2>"$T/second.err"; then
    fail "a second engine started on the same state dir"
fi
grep -q "pid $RUN_PID" "$T/second.err" || { cat "$T/second.err"; fail "refusal does not name pid $RUN_PID"; }
pass "second engine refused"

wait $RUN_PID || fail "run exited with $?"
CLEANUPS=""

# --- every point has samples, plausible and in order ----------------------
npoints=$(jq '.points | length' "$CFG/devices.json")
[ "$npoints" -gt 0 ] || fail "demo config has no points"
jq -r '.points[] | [.id, (.sim.base // 0), (.sim.amplitude // 0),
       (.sim.noise // 0), (.scale // 1), .type] | @tsv' "$CFG/devices.json" |
while IFS="$(printf '\t')" read -r id base amp noise scale type; do
    n=$(spool_sql "$SPOOL" "SELECT count(*) FROM samples WHERE point_id='$id'")
    [ "$n" -ge 2 ] || fail "point $id: $n samples (want >= 2)"
    ok=$(spool_sql "$SPOOL" "SELECT count(*) FROM samples WHERE point_id='$id'
        AND value BETWEEN ($base) - abs($amp) - 6*($noise) - abs($scale) - 0.001
                      AND ($base) + abs($amp) + 6*($noise) + abs($scale) + 0.001")
    [ "$ok" -eq "$n" ] || {
        spool_sql "$SPOOL" "SELECT value FROM samples WHERE point_id='$id' LIMIT 5" >&2
        fail "point $id: $((n - ok)) of $n values outside $base ± $amp"; }
done || exit 1
pass "all $npoints points have plausible samples"

back=$(spool_sql "$SPOOL" "SELECT count(*) FROM samples a JOIN samples b
    ON a.point_id = b.point_id AND b.seq > a.seq AND b.ts_us <= a.ts_us")
[ "$back" -eq 0 ] || fail "$back timestamps go backwards"
now_us=$(($(date +%s) * 1000000))
stale=$(spool_sql "$SPOOL" "SELECT count(*) FROM samples
    WHERE ts_us < $now_us - 60000000 OR ts_us > $now_us + 5000000")
[ "$stale" -eq 0 ] || fail "$stale timestamps are not from this run"
pass "timestamps are monotonic and current"

# Spectra: every configured spectrum arrived whole (all pixels, read in
# chunks of at most 125 registers), as little-endian float64.
jq -r '(.spectra // [])[] | [.id, .pixels] | @tsv' "$CFG/devices.json" |
while IFS="$(printf '\t')" read -r sid npx; do
    n=$(spool_sql "$SPOOL" "SELECT count(*) FROM spectra WHERE spectrum_id='$sid'
        AND pixels=$npx AND length(data)=8*$npx")
    [ "$n" -ge 1 ] || fail "spectrum $sid: no whole spectrum stored"
done || exit 1
nspec=$(jq '(.spectra // []) | length' "$CFG/devices.json")
pass "$nspec spectrum(s) stored whole"

# Values change over time (the simulator's process is alive).
changing=$(spool_sql "$SPOOL" "SELECT count(*) FROM (SELECT point_id FROM samples
    GROUP BY point_id HAVING count(DISTINCT value) > 1)")
[ "$changing" -ge 3 ] || fail "only $changing points change value"
pass "$changing points change over time"

# --- the log: JSON lines with the executor's events -----------------------
LOG="$ST/jope-smb.log"
jq -e . "$LOG" >/dev/null || fail "log is not JSON lines"
ndev=$(jq '.devices | length' "$CFG/devices.json")
nconn=$(jq -r 'select(.event=="connect") | .device' "$LOG" | sort -u | wc -l)
[ "$nconn" -eq "$ndev" ] || fail "connect events for $nconn of $ndev devices"
[ "$(jq -s 'map(select(.event=="connect")) | length > 0 and
       all(.connector and .device and
           (.ts | test("^[0-9-]{10}T[0-9:]{8}\\.[0-9]{6}Z$")))' "$LOG")" = true ] ||
    fail "connect event lacks connector/device/ts"
grep -q '"event":"engine_stop"' "$LOG" || fail "no engine_stop in the log"
errors=$(spool_sql "$SPOOL" "SELECT count(*) FROM collection_errors")
[ "$errors" -eq 0 ] || fail "$errors collection errors against a healthy plant"
pass "log has connect events for all $ndev devices"

# --- status after the engine stopped ---------------------------------------
"$JOPE" status -c "$CFG" --state-dir "$ST" >"$T/status.txt"
rc=$?
[ $rc -eq 3 ] || fail "status exit $rc after stop (want 3)"
grep -q "not running" "$T/status.txt" || fail "status text does not say not running"
first=$(jq -r '.devices[0].id' "$CFG/devices.json")
grep -q "$first" "$T/status.txt" || fail "status does not list device $first"
pass "status after stop"

"$JOPE" status -c "$CFG" --state-dir "$ST" "$first" >"$T/status.dev"
grep -q "_register [0-9]*+[0-9]*:" "$T/status.dev" || { cat "$T/status.dev"; fail "status DEVICE shows no read plan"; }
ticks=$(jq -r '.scheduler.ticks' "$T/status.json")
[ "$ticks" -gt 0 ] || fail "status shows no scheduler ticks"
pass "status DEVICE shows the read plan; scheduler ticks $ticks"

# --- a device that is not there: connect failures, then HardError ----------
stop_sim
ST2="$T/state2"
"$JOPE" run -c "$CFG" --state-dir "$ST2" -s 0.2 -r 2 -d 60 --duration 3 \
    2>"$T/run2.err" || fail "run without a plant exited with $?"
grep -q '"event":"connect_failed"' "$ST2/jope-smb.log" || fail "no connect_failed"
grep -q '"event":"hard_error"' "$ST2/jope-smb.log" || fail "no hard_error"
grep -q '"event":"task_cancelled"' "$ST2/jope-smb.log" || fail "no task_cancelled"
refused=$(spool_sql "$ST2/spool.db" "SELECT count(*) FROM collection_errors WHERE code=1 AND point_id IS NULL")
[ "$refused" -ge "$ndev" ] || fail "only $refused connect-refused records"
cancelled=$(spool_sql "$ST2/spool.db" "SELECT count(*) FROM collection_errors WHERE code=9")
[ "$cancelled" -ge 1 ] || fail "no HardError cancellation records"
samples=$(spool_sql "$ST2/spool.db" "SELECT count(*) FROM samples")
[ "$samples" -eq 0 ] || fail "$samples samples without a plant"
pass "absent devices: $refused refused connects, $cancelled cancellations recorded"

# --- start and stop in the audit trail; SystemUpgraded on a new version -----
# (The absent devices' COMM and HardError alarms are in it too: see
# test_alarms.sh; here only that they are there.)
[ "$(spool_sql "$ST2/spool.db" "SELECT count(*) FROM audit_log
    WHERE kind = 'alarm_activated'")" -gt 0 ] || fail "absent devices raised no alarm"
kinds=$(spool_sql "$ST2/spool.db" "SELECT group_concat(kind, ' ') FROM (SELECT kind FROM audit_log
    WHERE kind NOT LIKE 'alarm\_%' ESCAPE '\' ORDER BY seq)")
case "$kinds" in
"config_initial console_start console_stop"*) ;;
*) fail "audit trail of a run: $kinds" ;;
esac
echo "0.0.9" >"$ST2/program.version"
"$JOPE" run -c "$CFG" --state-dir "$ST2" --duration 1 2>/dev/null || fail "second run"
up=$(spool_sql "$ST2/spool.db" "SELECT payload FROM audit_log WHERE kind = 'SystemUpgraded'")
echo "$up" | jq -e '.old_version == "0.0.9" and (.new_version | length > 0) and (.operator | length > 0)' >/dev/null ||
    fail "no SystemUpgraded with old and new version: $up"
[ "$(cat "$ST2/program.version")" != 0.0.9 ] || fail "program.version not moved on"
"$JOPE" run -c "$CFG" --state-dir "$ST2" --duration 1 2>/dev/null || fail "third run"
[ "$(spool_sql "$ST2/spool.db" "SELECT count(*) FROM audit_log WHERE kind = 'SystemUpgraded'")" = 1 ] ||
    fail "SystemUpgraded recorded again without an upgrade"
"$JOPE" -c "$CFG" --state-dir "$ST2" audit verify >/dev/null 2>&1 || fail "audit verify after the runs"
pass "console start and stop audited; SystemUpgraded once, with old and new version"
exit 0
