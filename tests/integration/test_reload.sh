#!/bin/sh
# test_reload.sh: configuration reload on SIGHUP is transactional.
#
# A broken devices.json is rejected whole (every error logged with its
# position) and collection goes on with the running configuration; a valid
# one that drops a device is swapped in between ticks: the dropped device's
# points stop, the others go on, status shows the new generation.
. "$(dirname "$0")/../lib.sh"
need jq
need sqlite3

CFG="$T/config"
ST="$T/state"
copy_config "$top_srcdir/config/demo" "$CFG" 700
cp "$CFG/devices.json" "$T/devices.good"
start_sim "$CFG"

# A reload closes every connection; each line then rests its guard interval
# (rule 5), so a short guard keeps this test short.
"$JOPE" run -c "$CFG" --state-dir "$ST" -s 1.5 --duration 20 2>"$T/run.err" &
RUN_PID=$!
CLEANUPS="kill\ $RUN_PID"
LOG="$ST/jope-smb.log"
DROP=$(jq -r '.devices[-1].id' "$CFG/devices.json")
DROP_POINT=$(jq -r --arg d "$DROP" '[.points[] | select(.device == $d)][0].id' "$CFG/devices.json")
KEEP_POINT=$(jq -r --arg d "$DROP" '[.points[] | select(.device != $d)][0].id' "$CFG/devices.json")

count() { spool_sql "$ST/spool.db" "SELECT count(*) FROM samples WHERE point_id='$1'" 2>/dev/null || echo 0; }
has_samples() { [ "$(count "$1")" -ge "$2" ]; }
wait_until 50 has_samples "$DROP_POINT" 1 || fail "no samples before the reload"

# 1. A broken configuration: rejected, nothing changes.
jq '.devices[0].connector = "nowhere" | .points[0].scale = "x"' "$T/devices.good" >"$CFG/devices.json"
kill -HUP $RUN_PID
rejected() { grep -q '"event":"config_rejected"' "$LOG"; }
wait_until 50 rejected || fail "broken config not rejected"
n=$(grep -c '"event":"config_error"' "$LOG")
[ "$n" -ge 2 ] || fail "expected >= 2 config_error lines, got $n"
jq -e -s '[.[] | select(.event == "config_error")] | all(.line > 0 and .column > 0 and (.path | startswith("$.")))' "$LOG" >/dev/null ||
    fail "config_error lines lack positions"
before=$(count "$DROP_POINT")
sleep 2
after=$(count "$DROP_POINT")
[ "$after" -gt "$before" ] || fail "collection stopped after a rejected reload"
"$JOPE" status -c "$CFG" --state-dir "$ST" --json >"$T/st1.json"
jq -e '.config_generation == 0 and (.config_status | test("rejected"))' "$T/st1.json" >/dev/null ||
    fail "status does not show the rejection: $(jq -c '{config_generation, config_status}' "$T/st1.json")"
pass "broken configuration rejected whole, collection goes on"

# 2. A valid configuration without the last device: swapped in.
jq --arg d "$DROP" '([(.spectra // [])[] | select(.device == $d) | .id]) as $sp
    | .devices |= map(select(.id != $d))
    | .points |= map(select(.device != $d))
    | .spectra |= ((. // []) | map(select(.device != $d)))
    | .events |= map(select(((.devices // []) | index($d) | not)
        and ([(.spectra // [])[] | select(. as $x | $sp | index($x))] | length == 0)))' \
    "$T/devices.good" >"$CFG/devices.json"
"$JOPE" check-config -c "$CFG" >/dev/null || fail "test config invalid"
kill -HUP $RUN_PID
applied() { grep -q '"event":"config_applied"' "$LOG"; }
wait_until 50 applied || fail "valid config not applied"
sleep 1
dropped=$(count "$DROP_POINT")
kept=$(count "$KEEP_POINT")
sleep 2
[ "$(count "$DROP_POINT")" -eq "$dropped" ] || fail "dropped device still collected"
[ "$(count "$KEEP_POINT")" -gt "$kept" ] || fail "kept device stopped"
"$JOPE" status -c "$CFG" --state-dir "$ST" --json >"$T/st2.json"
jq -e --arg d "$DROP" '.config_generation == 1 and ([.devices[].id] | index($d) | not)' "$T/st2.json" >/dev/null ||
    fail "status does not show the new configuration"
pass "valid configuration swapped in, dropped device stops, others go on"

# Rule 5 across the swap: no line reconnects within its guard interval
# (the monotonic clock counts whole milliseconds, hence 1.499).
jq -e -s 'def t: (.[0:19] + "Z" | fromdateiso8601) + (.[20:26] | tonumber / 1e6);
    [ group_by(.connector)[]
      | map(select(.event == "connect" or .event == "disconnect"))
      | . as $ev | range(1; length) as $i
      | select($ev[$i].event == "connect" and $ev[$i - 1].event == "disconnect")
      | ($ev[$i].ts | t) - ($ev[$i - 1].ts | t) ]
    | length > 0 and all(. >= 1.499)' "$LOG" >/dev/null ||
    fail "a line reconnected inside its guard interval after the reload"
pass "guard interval kept across the swap"

kill -TERM $RUN_PID
wait $RUN_PID || fail "run exited with $? after reloads"
CLEANUPS=""
pass "engine stopped cleanly"
exit 0
