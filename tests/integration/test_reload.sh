#!/bin/sh
# test_reload.sh: configuration reload is transactional and change
# controlled (doc/change-control.md).
#
# The engine runs only applied versions: an edited config dir, even a
# valid one, is not taken into use on SIGHUP (the engine says it differs
# and collection goes on unchanged).  A broken devices.json is refused
# whole by `config apply` (every error with its position) and changes
# nothing; an applied version the running engine cannot take (another
# spool) is rejected by the engine, which keeps the running one.  A valid
# one that drops a device, applied with its two signatures, is taken into
# use within seconds without any signal and swapped in between ticks: the
# dropped device's points stop, the others go on, status shows the new
# generation, and no line reconnects inside its guard interval.
. "$(dirname "$0")/../lib.sh"
need jq
need sqlite3

JOPE_SMB_KDF=interactive
export JOPE_SMB_KDF

CFG="$T/config"
ST="$T/state"
copy_config "$top_srcdir/config/demo" "$CFG" 700
cp "$CFG/devices.json" "$T/devices.good"
cp "$CFG/app.json" "$T/app.good"
start_sim "$CFG"

# A reload closes every connection; each line then rests its guard interval
# (rule 5), so a short guard keeps this test short.
"$JOPE" run -c "$CFG" --state-dir "$ST" -s 1.5 --duration 60 2>"$T/run.err" &
RUN_PID=$!
stop_run() { kill "$RUN_PID"; wait "$RUN_PID"; }
CLEANUPS="stop_run"
J() { "$JOPE" -c "$CFG" --state-dir "$ST" "$@"; }
LOG="$ST/jope-smb.log"
DROP=$(jq -r '.devices[-1].id' "$CFG/devices.json")
DROP_POINT=$(jq -r --arg d "$DROP" '[.points[] | select(.device == $d)][0].id' "$CFG/devices.json")
KEEP_POINT=$(jq -r --arg d "$DROP" '[.points[] | select(.device != $d)][0].id' "$CFG/devices.json")

count() { spool_sql "$ST/spool.db" "SELECT count(*) FROM samples WHERE point_id='$1'" 2>/dev/null || echo 0; }
has_samples() { [ "$(count "$1")" -ge "$2" ]; }
logged() { grep -q "$1" "$LOG" 2>/dev/null; }
nlogged() { grep -c "$1" "$LOG" 2>/dev/null || true; }
wait_until 50 has_samples "$DROP_POINT" 1 || fail "no samples before the reload"

# Two signers for config apply (supervisor, then QA).
printf 'admin-pass-1\nadmin-pass-1\n' |
    J user add admin --full-name "Ada Admin" --role admin --bootstrap >/dev/null 2>&1 ||
    fail "bootstrap"
for u in sam:supervisor quinn:qa; do
    printf '%s-pass-1\n%s-pass-1\nadmin\nadmin-pass-1\ntest\n' "${u%%:*}" "${u%%:*}" |
        J user add "${u%%:*}" --full-name "${u%%:*}" --role "${u#*:}" >/dev/null 2>&1 ||
        fail "user add ${u%%:*}"
done
apply() {
    printf 'sam\nsam-pass-1\n\n%s\nquinn\nquinn-pass-1\n\nreleased\n' "$1" |
        J config apply >"$T/apply.out" 2>"$T/apply.err"
}

# 1. A broken configuration: refused whole by config apply, nothing changes.
jq '.devices[0].connector = "nowhere" | .points[0].scale = "x"' "$T/devices.good" >"$CFG/devices.json"
apply "broken" && fail "a broken configuration was applied"
n=$(grep -cE '^[^:]+/devices\.json:[0-9]+:[0-9]+: \$\.' "$T/apply.err")
[ "$n" -ge 2 ] || fail "expected >= 2 located errors, got $n: $(cat "$T/apply.err")"
[ "$(cat "$ST/config-versions/CURRENT")" = 1 ] || fail "CURRENT moved"
kill -HUP $RUN_PID
wait_until 50 logged '"event":"config_unapplied"' || fail "SIGHUP: the broken config dir not reported"
before=$(count "$DROP_POINT")
sleep 2
after=$(count "$DROP_POINT")
[ "$after" -gt "$before" ] || fail "collection stopped after a refused configuration"
logged '"event":"config_applied"' && fail "a broken configuration was taken into use"
pass "broken configuration refused whole, every error located, collection goes on"

# 2. A valid configuration without the last device: not on SIGHUP alone.
jq --arg d "$DROP" '([(.spectra // [])[] | select(.device == $d) | .id]) as $sp
    | .devices |= map(select(.id != $d))
    | .points |= map(select(.device != $d))
    | .spectra |= ((. // []) | map(select(.device != $d)))
    | .events |= map(select(((.devices // []) | index($d) | not)
        and ([(.spectra // [])[] | select(. as $x | $sp | index($x))] | length == 0)))
    | [.points[].id] as $kept
    | .recipes |= ((. // []) | map(.points |= map(select(. as $p | $kept | index($p))))
        | map(select(.points | length > 0)))' \
    "$T/devices.good" >"$T/devices.drop"
cp "$T/devices.drop" "$CFG/devices.json"
"$JOPE" check-config -c "$CFG" >/dev/null || fail "test config invalid"
unapplied=$(nlogged '"event":"config_unapplied"')
kill -HUP $RUN_PID
more_unapplied() { [ "$(nlogged '"event":"config_unapplied"')" -gt "$unapplied" ]; }
wait_until 50 more_unapplied || fail "SIGHUP: the unapplied config dir not reported"
before=$(count "$DROP_POINT")
sleep 2
[ "$(count "$DROP_POINT")" -gt "$before" ] || fail "SIGHUP took an unapplied configuration into use"
logged '"event":"config_applied"' && fail "SIGHUP took an unapplied configuration into use"
pass "SIGHUP does not take an unapplied configuration into use"

# 3. An applied version the running engine cannot take: rejected, kept.
jq '.storage = {spool: "elsewhere.db"}' "$T/app.good" >"$CFG/app.json"
cp "$T/devices.good" "$CFG/devices.json"
apply "move the spool" || fail "apply of a spool move: $(cat "$T/apply.err")"
wait_until 50 logged '"event":"config_rejected"' || fail "the engine did not reject version 2"
cp "$T/app.good" "$CFG/app.json"     # status finds the spool by it
before=$(count "$DROP_POINT")
sleep 2
[ "$(count "$DROP_POINT")" -gt "$before" ] || fail "collection stopped after a rejected reload"
J status --json >"$T/st1.json"
jq -e '.config_generation == 0 and (.config_status | test("rejected"))' "$T/st1.json" >/dev/null ||
    fail "status does not show the rejection: $(jq -c '{config_generation, config_status}' "$T/st1.json")"
pass "a version the engine cannot take is rejected, the running one stays"

# 4. The configuration without the last device, applied with its
# signatures: taken into use without any signal.
cp "$T/devices.drop" "$CFG/devices.json"
apply "drop $DROP" || fail "apply: $(cat "$T/apply.err")"
applied() { grep '"event":"config_applied"' "$LOG" | grep -q '"version":3'; }
wait_until 50 applied || fail "applied version 3 not taken into use"
sleep 1
dropped=$(count "$DROP_POINT")
kept=$(count "$KEEP_POINT")
sleep 2
[ "$(count "$DROP_POINT")" -eq "$dropped" ] || fail "dropped device still collected"
[ "$(count "$KEEP_POINT")" -gt "$kept" ] || fail "kept device stopped"
J status --json >"$T/st2.json"
jq -e --arg d "$DROP" '.config_generation == 1 and ([.devices[].id] | index($d) | not)' "$T/st2.json" >/dev/null ||
    fail "status does not show the new configuration"
pass "applied configuration swapped in, dropped device stops, others go on"

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
