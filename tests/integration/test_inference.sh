#!/bin/sh
# test_inference.sh: spectra to predictions over real ZeroMQ, and every fault
# of the inference host.
#
# The demo plant on ports 16320..16326 (16326: the simulator's inference
# server, a ROUTER serving config/demo/inference-model.json), spectra read
# every second, heartbeat every 500 ms, timeout 500 ms (slack for the
# sanitizer builds; the p95 target is out of the way, 1 s).  One `jope-smb run`
# collects for the whole test while the simulator's control file switches
# the inference server's faults; the test watches `status --json` and the
# spool:
#   1. healthy: the link is up with latency figures; predictions are
#      samples of points SPECTRUM.OUTPUT tagged smb-pls@VERSION, and they
#      track the concentrations the simulator put into the spectra;
#   2. drop (no reply): the link goes down, timeouts are error records of
#      device "inference" (code 2), the socket is rebuilt, and collection
#      goes on; cleared, predictions come back;
#   3. slow=1200 (each reply after the timeout): timeouts, and no late reply
#      is ever taken for a later request's answer; cleared, back;
#   4. garbage: rejected replies are error records (code 5); back;
#   5. restart (SIGUSR2): the server comes back with a new id, the client
#      follows without a restart of its own;
# and at the end: exactly one set of predictions per predicted spectrum,
# each for a spectrum that is in the spool, none twice.
. "$(dirname "$0")/../lib.sh"
need jq
need sqlite3

OFF=1300
CFG="$T/config"
ST="$T/state"
SPOOL="$ST/spool.db"
copy_config "$top_srcdir/config/demo" "$CFG" $OFF
jq '.inference += {"timeout_ms": 500, "heartbeat_ms": 500, "target_p95_ms": 1000}' \
    "$CFG/app.json" >"$CFG/app.new" && mv "$CFG/app.new" "$CFG/app.json"
jq '.events |= map(if .id == "read-spectrum" then .period_ms = 1000 else . end)' \
    "$CFG/devices.json" >"$CFG/devices.new" && mv "$CFG/devices.new" "$CFG/devices.json"
VERSION=$(jq -r .version "$CFG/inference-model.json")
[ -n "$VERSION" ] && [ "$VERSION" != null ] || fail "the model file has no version"

# --- a malformed inference section is refused whole ------------------------
mkdir -p "$T/bad"
cp "$CFG"/*.json "$T/bad/"
jq '.inference.timeout_ms = 0 | .inference.endpoint = "http://x"' \
    "$CFG/app.json" >"$T/bad/app.json"
"$JOPE" check-config -c "$T/bad" >"$T/bad.out" 2>&1 && fail "a bad inference section passed"
grep -q 'inference.timeout_ms' "$T/bad.out" || { cat "$T/bad.out"; fail "timeout_ms not named"; }
grep -q 'inference.endpoint' "$T/bad.out" || fail "endpoint not named"
pass "check-config names every mistake of the inference section"

# The simulator's concentrations are functions of its own uptime.
SIM_T0=$(date +%s.%N)
: >"$T/control"
start_sim "$CFG" --control "$T/control"
"$JOPE" run -c "$CFG" --state-dir "$ST" --duration 120 >"$T/run.out" 2>&1 &
RUN_PID=$!
CLEANUPS="kill_run"
kill_run() { kill "$RUN_PID" 2>/dev/null; wait "$RUN_PID" 2>/dev/null; }

status() {
    "$JOPE" status -c "$CFG" --state-dir "$ST" --json >"$T/st.json" 2>/dev/null
    jq -r "$1" "$T/st.json" 2>/dev/null
}
link_is() { [ "$(status .inference.state)" = "$1" ]; }
counter() { status ".inference.$1 // 0"; }
more_than() { [ "$(counter "$1")" -gt "$2" ]; }
has_errors() { [ "$(errors_of "$1")" -gt 0 ]; }
set_fault() { printf '%s\n' "$1" >"$T/control"; kill -USR1 "$SIM_PID"; }
errors_of() {
    spool_sql "$SPOOL" "SELECT count(*) FROM collection_errors
        WHERE device_id = 'inference' AND code = $1"
}

# --- 1. healthy --------------------------------------------------------------
wait_until 150 link_is up || { jq .inference "$T/st.json"; cat "$T/sim.out"; grep inference "$ST"/*.log | tail -5; fail "the link did not come up"; }
wait_until 100 more_than predictions 3 || fail "no predictions"
[ "$(status '.inference.latency_ms.p95 > 0 and .inference.latency_ms.p95 < 200')" = true ] ||
    fail "no latency figures: $(status .inference.latency_ms)"
[ "$(status .inference.model_version)" = "$VERSION" ] || fail "model version not reported"
[ -n "$(status .inference.server)" ] || fail "no server id from the heartbeat"
TAGS=$(spool_sql "$SPOOL" "SELECT DISTINCT tag FROM samples WHERE point_id LIKE 'AT-501.SPECTRUM.%'")
[ "$TAGS" = "smb-pls@$VERSION" ] || fail "predictions tagged '$TAGS'"
spool_sql "$SPOOL" "SELECT count(*) FROM samples WHERE tag IS NOT NULL
    AND point_id NOT LIKE 'AT-501.SPECTRUM.%'" | grep -qx 0 ||
    fail "a measured sample carries a tag"
# Each output against the concentration the simulator used: component k of
# src/sim/spectrum.c at the spectrum's second of the simulator's uptime
# (started at SIM_T0, give or take the start-up and the read: up to 3 s).
spool_sql "$SPOOL" "SELECT point_id, ts_us, value FROM samples
    WHERE point_id LIKE 'AT-501.SPECTRUM.%' ORDER BY seq" | tr '|' ' ' >"$T/pred"
NAMES=$(jq -r '.outputs[].name' "$CFG/inference-model.json" | tr '\n' ' ')
awk -v names="$NAMES" -v t0="$SIM_T0" '
    BEGIN { n = split(names, nm, " ")
            split("5 3 2 4", base, " "); split("2 1.5 1 1", amp, " ")
            split("0 0.25 0.5 0.75", ph, " "); pi = atan2(0, -1); bad = 0 }
    { sub(/^AT-501\.SPECTRUM\./, "", $1); k = 0
      for (i = 1; i <= n; i++) if (nm[i] == $1) k = i
      if (k == 0) { print "unknown output " $1; bad++; next }
      best = 1e9
      for (d = -1; d <= 3; d += 0.5) {
          t = int($2 / 1000000 - t0 - d)
          c = base[k] + amp[k] * sin(2 * pi * (t / 300 + ph[k]))
          e = $3 - c; if (e < 0) e = -e; if (e < best) best = e }
      if (best > 0.15) { print $1 " at " $2 ": " $3 " is " best " off"; bad++ }
      rows++ }
    END { if (rows < 8) { print "only " rows " predictions"; bad++ }
          exit bad > 0 }' "$T/pred" || fail "predictions do not track the spectra"
pass "healthy: link up, p95 in status, predictions tagged and tracking the spectra"

# --- 2. no reply ---------------------------------------------------------------
SAMPLES0=$(status .samples_total)
set_fault inference:drop
wait_until 100 link_is down || fail "the link did not go down without replies: $(status .inference)"
wait_until 50 more_than rebuilds 0 || fail "the socket was never rebuilt"
wait_until 50 has_errors 2 || fail "no timeout error record"
[ "$(status .samples_total)" -gt "$SAMPLES0" ] || fail "collection stopped with the inference host"
P=$(counter predictions)
: >"$T/control"; kill -USR1 "$SIM_PID"
wait_until 100 more_than predictions "$P" || fail "no prediction after the fault cleared"
wait_until 100 link_is up || fail "the link did not come back up"
pass "no reply: down, timeouts recorded, socket rebuilt, collection on; recovers"

# --- 3. late replies ------------------------------------------------------------
T0=$(counter timeouts)
set_fault inference:slow=1200
wait_until 100 more_than timeouts $((T0 + 2)) || fail "slow replies did not time out"
P=$(counter predictions)
sleep 1
[ "$(counter predictions)" -eq "$P" ] || fail "a late reply was taken for an answer"
: >"$T/control"; kill -USR1 "$SIM_PID"
wait_until 100 more_than predictions "$P" || fail "no prediction after late replies"
pass "late replies: timed out, never taken for a later answer; recovers"

# --- 4. garbage ------------------------------------------------------------------
R0=$(counter rejected)
set_fault inference:garbage
wait_until 100 more_than rejected "$R0" || fail "garbage was not rejected"
wait_until 50 has_errors 5 || fail "no malformed-reply error record"
kill -0 "$RUN_PID" || fail "the engine died of garbage"
P=$(counter predictions)
: >"$T/control"; kill -USR1 "$SIM_PID"
wait_until 100 more_than predictions "$P" || fail "no prediction after garbage"
pass "garbage: rejected with an error record, the engine lives; recovers"

# --- 5. server restart ---------------------------------------------------------
S1=$(status .inference.server)
kill -USR2 "$SIM_PID"
wait_until 100 sh -c "[ \"\$(\"$JOPE\" status -c \"$CFG\" --state-dir \"$ST\" --json |
    jq -r .inference.server)\" != \"$S1\" ]" || fail "no new server id after a restart"
P=$(counter predictions)
wait_until 100 more_than predictions "$P" || fail "no prediction after the restart"
pass "server restart: followed without a restart of the console"

# --- exactly once ----------------------------------------------------------------
kill -TERM "$RUN_PID"; wait "$RUN_PID"; CLEANUPS=""
NOUT=$(jq '.outputs | length' "$CFG/inference-model.json")
spool_sql "$SPOOL" "SELECT count(*) FROM (SELECT point_id, ts_us FROM samples
    WHERE tag IS NOT NULL GROUP BY point_id, ts_us HAVING count(*) > 1)" |
    grep -qx 0 || fail "a spectrum was predicted twice"
spool_sql "$SPOOL" "SELECT count(*) FROM samples s WHERE tag IS NOT NULL AND
    NOT EXISTS (SELECT 1 FROM spectra p WHERE p.spectrum_id = 'AT-501.SPECTRUM'
    AND p.ts_us = s.ts_us)" | grep -qx 0 || fail "a prediction of no spectrum"
spool_sql "$SPOOL" "SELECT count(*) FROM (SELECT ts_us FROM samples
    WHERE tag IS NOT NULL GROUP BY ts_us HAVING count(*) != $NOUT)" |
    grep -qx 0 || fail "a spectrum with a partial set of predictions"
pass "one whole set of predictions per predicted spectrum, none twice"
