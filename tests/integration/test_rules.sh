#!/bin/sh
# test_rules.sh: the executor's rules on real Modbus TCP, read back from the
# JSON-lines log.
#
# Two devices share one TCP line (two unit ids behind one gateway); a third
# sits on a line whose gateway refuses connections.  With short -n -s -r -d
# the whole life cycle fits in a few seconds; the log must show:
#   rules 1, 2: on a line, connect and disconnect alternate (never two
#               connections at once);
#   rule 5:     no connect on a line sooner than the guard after a disconnect;
#   rule 6:     both devices of the shared line are served;
#   rule 7:     -r failed connects -> hard_error, tasks cancelled, and
#               hard_error_end no sooner than -d later, then new attempts.
. "$(dirname "$0")/../lib.sh"
need jq
need sqlite3

CFG="$T/config"
ST="$T/state"
mkdir -p "$CFG"
cat >"$CFG/app.json" <<JSON
{"site": "Rules test", "console_id": "rules"}
JSON
cat >"$CFG/devices.json" <<JSON
{
  "connectors": [
    {"id": "shared", "kind": "tcp", "host": "127.0.0.1", "port": 15810},
    {"id": "dead", "kind": "tcp", "host": "127.0.0.1", "port": 15811}
  ],
  "devices": [
    {"id": "dev-a", "connector": "shared", "unit_id": 1},
    {"id": "dev-b", "connector": "shared", "unit_id": 2},
    {"id": "dev-c", "connector": "dead", "unit_id": 1}
  ],
  "points": [
    {"id": "A", "device": "dev-a", "table": "holding_register", "address": 0, "type": "uint16",
     "sim": {"wave": "constant", "base": 11}},
    {"id": "B", "device": "dev-b", "table": "holding_register", "address": 0, "type": "uint16",
     "sim": {"wave": "constant", "base": 22}},
    {"id": "C", "device": "dev-c", "table": "holding_register", "address": 0, "type": "uint16"}
  ],
  "events": [
    {"id": "fast", "period_ms": 1000, "devices": ["dev-a", "dev-b", "dev-c"]}
  ]
}
JSON
start_sim "$CFG" --fault dead:refuse

# A reload is a new applied version (doc/change-control.md): two signers.
JOPE_SMB_KDF=interactive
export JOPE_SMB_KDF
J() { "$JOPE" -c "$CFG" --state-dir "$ST" "$@"; }
printf 'admin-pass-1\nadmin-pass-1\n' |
    J user add admin --full-name Admin --role admin --bootstrap >/dev/null 2>&1 ||
    fail "bootstrap"
for u in sam:supervisor quinn:qa; do
    printf '%s-pass-1\n%s-pass-1\nadmin\nadmin-pass-1\ntest\n' "${u%%:*}" "${u%%:*}" |
        J user add "${u%%:*}" --full-name "${u%%:*}" --role "${u#*:}" >/dev/null 2>&1 ||
        fail "user add ${u%%:*}"
done

GUARD=0.5
HARD=4
LOG="$ST/jope-smb.log"
SPOOL="$ST/spool.db"
"$JOPE" run -c "$CFG" --state-dir "$ST" -n 0.3 -s $GUARD -r 2 -d $HARD \
    --log-level debug --duration 10 2>"$T/run.err" &
RUN_PID=$!
stop_run() { kill "$RUN_PID"; wait "$RUN_PID"; }
CLEANUPS="stop_run"
# A reload while dev-c is in HardError must not lift it (rule 7 across a
# configuration swap): a changed configuration applied meanwhile.
in_hard_error() { grep -q '"event":"hard_error"' "$LOG" 2>/dev/null; }
wait_until 60 in_hard_error || fail "dev-c never entered HardError"
jq '.site = "Rules test, version 2"' "$CFG/app.json" >"$T/app.json" &&
    mv "$T/app.json" "$CFG/app.json"
printf 'sam\nsam-pass-1\n\nreload\nquinn\nquinn-pass-1\n\nok\n' |
    J config apply >"$T/apply.out" 2>&1 || fail "config apply: $(cat "$T/apply.out")"
applied() { grep -q '"event":"config_applied"' "$LOG"; }
wait_until 30 applied || fail "the reload was not applied"
wait $RUN_PID || fail "run exited with $?"
CLEANUPS=""

# Every executor event is there and names its connector and device.
for ev in connect connect_failed disconnect task_start task_done \
    task_cancelled hard_error; do
    jq -e -s --arg ev "$ev" 'map(select(.event == $ev)) | length > 0 and
        all(.connector and .device)' "$LOG" >/dev/null ||
        fail "no $ev event with connector and device in the log"
done
pass "executor events logged with connector and device"

# jq helpers: seconds from our RFC 3339 stamps; events of one connector.
JQ_T='def t: (.[0:19] + "Z" | fromdateiso8601) + (.[20:26] | tonumber / 1e6);'

# Rules 1 and 2: on every line connect/disconnect strictly alternate.
jq -e -s "$JQ_T"' [ group_by(.connector)[]
        | map(select(.event == "connect" or .event == "disconnect") | .event)
        | . as $e | range(0; length) | $e[.] == (if . % 2 == 0 then "connect" else "disconnect" end) ]
    | length > 0 and all' "$LOG" >/dev/null || fail "overlapping connections on a line"
pass "rules 1, 2: one connection at a time per line"

# Rule 5: no connect sooner than the guard after the line's disconnect
# (whole milliseconds: 1 ms of slack).
jq -e -s "$JQ_T"' [ group_by(.connector)[]
        | map(select(.event == "connect" or .event == "disconnect"))
        | . as $e | range(1; length) as $i
        | select($e[$i].event == "connect")
        | ($e[$i].ts | t) - ($e[$i - 1].ts | t) ]
    | length > 0 and all(. >= '"$GUARD"' - 0.001)' "$LOG" >/dev/null ||
    fail "a line reconnected inside its guard interval"
pass "rule 5: guard interval respected"

# Rule 6: both devices of the shared line were served, alternately.
na=$(spool_sql "$SPOOL" "SELECT count(*) FROM samples WHERE point_id='A' AND value=11")
nb=$(spool_sql "$SPOOL" "SELECT count(*) FROM samples WHERE point_id='B' AND value=22")
[ "$na" -ge 2 ] && [ "$nb" -ge 2 ] || fail "shared line: A $na, B $nb samples"
turns=$(jq -r 'select(.event == "connect" and .connector == "shared") | .device' "$LOG" |
    uniq | wc -l)
[ "$turns" -ge 3 ] || fail "the shared line did not alternate between its devices ($turns turns)"
pass "rule 6: both devices of the shared line served ($na, $nb samples, $turns turns)"

# Rule 7: two failed connects, HardError for -d, cancellations, then retries.
jq -e -s "$JQ_T"' map(select(.device == "dev-c")) as $c
    | ($c | map(select(.event == "hard_error")) | first) as $h
    | ($c | map(select(.event == "hard_error_end")) | first) as $e
    | $h != null and $e != null
      and (($e.ts | t) - ($h.ts | t)) >= '"$HARD"' - 0.001
      and ([$c[] | select(.event == "connect_failed" and (.ts | t) < ($h.ts | t))] | length) == 2
      and ([$c[] | select(.event == "task_cancelled")] | length) >= 1
      and ([$c[] | select(.event == "connect_failed" and (.ts | t) > ($e.ts | t))] | length) >= 1' \
    "$LOG" >/dev/null || fail "HardError life cycle of dev-c is wrong"
cancelled=$(spool_sql "$SPOOL" "SELECT count(*) FROM collection_errors WHERE device_id='dev-c' AND code=9")
[ "$cancelled" -ge 1 ] || fail "no HardError cancellation records for dev-c"
# (code 8: a task still queued when the run ended, cancelled and recorded)
healthy=$(spool_sql "$SPOOL" "SELECT count(*) FROM collection_errors WHERE device_id != 'dev-c' AND code != 8")
[ "$healthy" -eq 0 ] || fail "$healthy errors on the healthy line"
pass "rule 7: HardError entered after 2 failures, left after ${HARD} s, $cancelled cancellations stored"

jq -e -s '(to_entries | map(select(.value.event == "config_applied")) | first.key) as $k
    | .[$k:] | map(select(.device == "dev-c" and
        (.event == "hard_error_end" or .event == "connect_failed"))) | first.event == "hard_error_end"' \
    "$LOG" >/dev/null || fail "the reload lifted dev-c's HardError early"
pass "HardError kept across a reload"
exit 0
