#!/bin/sh
# test_alarms.sh: alarms raised by real values from the simulator, device
# communication alarms, and their records.
#
# The demo plant on ports 16520..16526 with PT-303's H limit moved to 12 bar
# (its square wave never goes below 13: H is active as soon as the 1 s
# on-delay has passed) and its HH at 30 (never).  `jope-smb run` collects;
# checked through `status --json` (the alarm list the console shows) and
# the audit trail in the spool:
#   1. PT-303/H becomes unack_active with its value and limit, and is an
#      alarm_activated event of the audit trail; HH is not raised;
#   2. the simulator is stopped: every device's COMM alarm is raised, and
#      HardError's after two failed connects;
#      started again: they clear (unack_cleared: the operator has not seen
#      them yet), each change an audit event;
#   3. the alarm list is ordered: priority, then unacknowledged active
#      first;
#   4. the trail with the alarm events still verifies.
. "$(dirname "$0")/../lib.sh"
need jq
need sqlite3

OFF=1500
CFG="$T/config"
ST="$T/state"
SPOOL="$ST/spool.db"
copy_config "$top_srcdir/config/demo" "$CFG" $OFF
jq '.points |= map(if .id == "PT-303" then .alarms = {"h": 12, "hh": 30,
        "deadband": 0.5, "delay_s": 1} else . end)' \
    "$CFG/devices.json" >"$CFG/devices.new" && mv "$CFG/devices.new" "$CFG/devices.json"
"$JOPE" check-config -c "$CFG" >/dev/null || fail "test config invalid"

start_sim "$CFG"
"$JOPE" run -c "$CFG" --state-dir "$ST" -s 0.2 -r 2 -d 3 --duration 90 \
    >"$T/run.out" 2>&1 &
RUN_PID=$!
kill_run() { kill "$RUN_PID" 2>/dev/null; wait "$RUN_PID" 2>/dev/null; }
CLEANUPS="kill_run"

status() {
    "$JOPE" status -c "$CFG" --state-dir "$ST" --json >"$T/st.json" 2>/dev/null
    jq -r "$1" "$T/st.json" 2>/dev/null
}
alarm_state() { status "[.alarms.list[] | select(.alarm == \"$1\") | .state][0] // \"normal\""; }
alarm_is() { [ "$(alarm_state "$1")" = "$2" ]; }
events() {
    spool_sql "$SPOOL" "SELECT count(*) FROM audit_log WHERE kind = '$1'
        AND json_extract(payload, '\$.alarm') = '$2'"
}

# --- 1. a limit ---------------------------------------------------------------
wait_until 150 alarm_is PT-303/H unack_active ||
    fail "PT-303/H not raised: $(status .alarms)"
[ "$(alarm_state PT-303/HH)" = normal ] || fail "PT-303/HH raised below its limit"
[ "$(status .alarms.unacked)" -ge 1 ] || fail "unacked count wrong"
wait_until 50 sh -c "[ \"\$(sqlite3 -readonly '$SPOOL' \"SELECT count(*) FROM audit_log WHERE kind = 'alarm_activated' AND json_extract(payload, '\\\$.alarm') = 'PT-303/H'\")\" -ge 1 ]" ||
    fail "no alarm_activated event for PT-303/H"
spool_sql "$SPOOL" "SELECT payload FROM audit_log WHERE kind = 'alarm_activated'
    AND json_extract(payload, '\$.alarm') = 'PT-303/H' LIMIT 1" >"$T/ev.json"
jq -e '.level == "H" and .to == "unack_active" and .limit == 12 and .value > 12
       and .priority == 2' "$T/ev.json" >/dev/null ||
    fail "the activation record is wrong: $(cat "$T/ev.json")"
pass "a value above H raises PT-303/H (value, limit, priority recorded); HH stays normal"

# --- 2. communication -----------------------------------------------------------
stop_sim
wait_until 150 alarm_is pumps/COMM unack_active ||
    fail "no COMM alarm with the simulator gone: $(status '.alarms.list | map(.alarm)')"
# Two failed connects in a row (-r 2) put a device in HardError (rule 7).
wait_until 150 alarm_is pumps/HARD_ERROR unack_active ||
    fail "no HardError alarm: $(status '.alarms.list | map([.alarm, .state])')"
start_sim "$CFG"
wait_until 300 alarm_is pumps/COMM unack_cleared ||
    fail "pumps/COMM did not clear: $(alarm_state pumps/COMM)"
[ "$(events alarm_activated pumps/COMM)" -ge 1 ] || fail "no audit event of the COMM alarm"
[ "$(events alarm_cleared pumps/COMM)" -ge 1 ] || fail "no audit event of its clearing"
[ "$(events alarm_activated pumps/HARD_ERROR)" -ge 1 ] ||
    fail "HardError raised no alarm event"
wait_until 100 alarm_is pumps/HARD_ERROR unack_cleared ||
    fail "pumps/HARD_ERROR did not clear after -d: $(alarm_state pumps/HARD_ERROR)"
pass "the simulator gone: COMM and HardError alarms raised; back: cleared, not acknowledged; audited"

# --- 3. order -------------------------------------------------------------------
status '.alarms.list | map(.priority)' | jq -e '. == sort' >/dev/null ||
    fail "alarm list not ordered by priority: $(status '.alarms.list | map([.priority, .alarm])')"
pass "the alarm list is ordered by priority"

# --- 4. the trail ---------------------------------------------------------------
kill -TERM "$RUN_PID"; wait "$RUN_PID"; CLEANUPS=""
"$JOPE" -c "$CFG" --state-dir "$ST" audit verify >"$T/verify" 2>&1 ||
    { cat "$T/verify"; fail "the trail with alarm events does not verify"; }
pass "the audit trail with the alarm events verifies"
