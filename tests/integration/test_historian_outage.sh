#!/bin/sh
# test_historian_outage.sh: the historian away, then back; and stopped in
# the middle of a long upload.
#
# Part 1: the cluster is down when `jope-smb run` starts.  Collection goes on
# into the spool, status says the historian is down and why; when the cluster
# comes up, everything collected meanwhile arrives, once, in order.
# Part 2: a backlog of 150,000 samples drains in batches; the cluster is
# stopped (fast shutdown: open transactions are rolled back) while the drain
# is half way, then started again: the drain finishes with nothing lost and
# nothing twice.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/pg_lib.sh"
. "$top_srcdir/tests/historian_lib.sh"
need jq
need sqlite3

pg_start 15972
CFG="$T/config"
ST="$T/state"
SPOOL="$ST/spool.db"
hist_config "$top_srcdir/config/demo" "$CFG" 860 "$PG_CONNINFO"
"$JOPE" -c "$CFG" db migrate >/dev/null 2>&1 || fail "db migrate"
pg_stop
start_sim "$CFG"

run_engine() {
    "$JOPE" run -c "$CFG" --state-dir "$ST" "$@" 2>>"$T/run.err" &
    RUN_PID=$!
}
stop_engine() {
    kill -TERM "$RUN_PID" 2>/dev/null
    wait "$RUN_PID" 2>/dev/null
    RUN_PID=""
}
kill_engine() { [ -z "$RUN_PID" ] || kill -9 "$RUN_PID" 2>/dev/null; }
CLEANUPS="$CLEANUPS kill_engine"

status_json() { "$JOPE" status -c "$CFG" --state-dir "$ST" --json 2>/dev/null; }
hist_state() { status_json | jq -r .historian.state; }
historian_is() { [ "$(hist_state)" = "$1" ]; }

# --- part 1: down at start ---------------------------------------------------
run_engine
wait_until 300 historian_is down || { status_json | head -c 600; tail -n 5 "$ST/jope-smb.log"; tail -n 5 "$T/run.err"; fail "status does not say the historian is down"; }
status_json >"$T/down.json"
jq -e '.historian.last_error | length > 0' "$T/down.json" >/dev/null ||
    fail "no last error while the historian is down"
sleep 3
waiting=$(spool_waiting "$SPOOL")
[ "$waiting" -gt 20 ] || fail "collection did not go on while the historian was down ($waiting)"
"$JOPE" status -c "$CFG" --state-dir "$ST" >"$T/status.txt"
grep -q "Historian:  down" "$T/status.txt" || { cat "$T/status.txt"; fail "status text: historian not down"; }
pass "historian down: collection goes on, $waiting records wait, status says why"

pg_start_again
wait_until 200 historian_is up || { tail -5 "$ST/jope-smb.log"; fail "the console did not reconnect"; }
wait_until 100 spool_empty "$SPOOL" || fail "backlog not uploaded: $(spool_waiting "$SPOOL") left"
stop_engine
hist_check "$SPOOL"
[ "$(pg_psql "SELECT count(*) FROM samples")" -gt 20 ] || fail "too few samples"
grep -q '"event":"historian_connected"' "$ST/jope-smb.log" || fail "no historian_connected in the log"
pass "historian back: everything collected meanwhile arrived once, in order"
# The simulator's inference host predicted the spectra meanwhile: the
# predictions arrived like any sample, with the model that made them.
VERSION=$(jq -r .version "$CFG/inference-model.json")
[ "$(pg_psql "SELECT count(*) FROM samples WHERE point_id LIKE 'AT-501.SPECTRUM.%'
    AND tag = 'smb-pls@$VERSION'")" -gt 0 ] || fail "no tagged prediction in the historian"
[ "$(pg_psql "SELECT count(*) FROM samples WHERE (tag IS NULL) <>
    (point_id NOT LIKE 'AT-501.SPECTRUM.%')")" = 0 ] ||
    fail "a measured sample with a tag, or a prediction without one"
pass "predictions reached the historian tagged smb-pls@$VERSION, measured samples untagged"

# --- part 2: stopped in the middle of a long upload ----------------------------
hist_prefill "$SPOOL" 150000
run_engine
hist_rows() { pg_psql "SELECT count(*) FROM samples" 2>/dev/null || echo 0; }
some_uploaded() { [ "$(hist_rows)" -gt 40000 ]; }
wait_until 300 some_uploaded || fail "the drain did not start"
before=$(hist_rows)
pg_stop
[ "$(spool_waiting "$SPOOL")" -gt 0 ] || fail "the drain ended before the stop: no test"
wait_until 100 historian_is down || fail "status does not see the historian go"
sleep 1
pg_start_again
wait_until 300 spool_empty "$SPOOL" || fail "drain did not finish after the restart: $(spool_waiting "$SPOOL") left"
stop_engine
hist_check "$SPOOL"
echo "# stopped with $before samples in the historian"
pass "historian stopped mid-upload and restarted: nothing lost, nothing twice"

# The audit trail as the uploader left it in the historian, with the console
# key it published: intact, from seq 1.
"$JOPE" -c "$CFG" --state-dir "$ST" audit verify --historian >"$T/verify" 2>&1 ||
    fail "audit verify --historian: $(cat "$T/verify")"
grep -q "intact" "$T/verify" || fail "audit verify --historian: $(cat "$T/verify")"
[ "$(pg_psql "SELECT count(*) FROM console_keys")" = 1 ] || fail "console key not published"
pass "the uploaded audit trail verifies in the historian with the published console key"
