#!/bin/sh
# test_rtu.sh: the collection engine on a Modbus RTU line, end to end.
#
# jope-smb-sim serves one RTU connector on a pseudo-terminal linked at a path
# inside $T, with two devices (units 1 and 2) sharing that line, next to one
# TCP connector with one device (port 15600, in the 15500..15699 range kept
# for test_rtu.sh and test_faults.sh).  `jope-smb run` collects for 6 s with
# a 0.5 s guard and a 0.2 s keep-alive.  Then:
#   - every point of both RTU devices (and of the TCP one) has good samples
#     whose values are what the simulator serves, and no error was recorded
#     but the cancellation of tasks still queued when the engine stopped;
#   - the log shows the line used one device at a time (rules 1 and 2):
#     on the RTU connector every connect is followed by the disconnect of
#     the same device before the next connect, and the next connect comes
#     no sooner than the guard interval after it (rule 5);
#   - the simulator removes its link when it stops.
. "$(dirname "$0")/../lib.sh"
need jq
need sqlite3

CFG="$T/config"
ST="$T/state"
TTY="$T/ttyRTU0"
GUARD=0.5
mkdir -p "$CFG"

cat >"$CFG/app.json" <<EOF
{ "site": "RTU line test", "console_id": "rtu-test" }
EOF
cat >"$CFG/devices.json" <<EOF
{
  "connectors": [
    { "id": "rtu0", "kind": "rtu", "serial": "$TTY", "baud": 19200,
      "parity": "E", "timeout_ms": 500 },
    { "id": "tcp0", "kind": "tcp", "host": "127.0.0.1", "port": 15600 }
  ],
  "devices": [
    { "id": "pump-a", "name": "Pump A", "connector": "rtu0", "unit_id": 1 },
    { "id": "pump-b", "name": "Pump B", "connector": "rtu0", "unit_id": 2 },
    { "id": "valve", "name": "Valve", "connector": "tcp0", "unit_id": 7 }
  ],
  "points": [
    { "id": "A.FLOW", "device": "pump-a", "table": "holding_register",
      "address": 0, "type": "float32", "unit": "mL/min",
      "sim": { "wave": "sine", "base": 10, "amplitude": 1, "period_s": 60,
               "noise": 0.01 } },
    { "id": "A.TOTAL", "device": "pump-a", "table": "input_register",
      "address": 20, "type": "int32", "byte_order": "CDAB",
      "sim": { "wave": "constant", "base": -70000 } },
    { "id": "A.RUN", "device": "pump-a", "table": "coil", "address": 3,
      "type": "bool", "sim": { "wave": "constant", "base": 1 } },
    { "id": "B.PRESSURE", "device": "pump-b", "table": "input_register",
      "address": 10, "type": "uint16", "scale": 0.1, "unit": "bar",
      "sim": { "wave": "constant", "base": 20 } },
    { "id": "B.ALARM", "device": "pump-b", "table": "discrete_input",
      "address": 0, "type": "bool", "sim": { "wave": "constant", "base": 0 } },
    { "id": "V.POS", "device": "valve", "table": "holding_register",
      "address": 0, "type": "int16", "sim": { "wave": "constant", "base": 3 } }
  ],
  "events": [
    { "id": "read-a", "period_ms": 1000, "devices": ["pump-a"] },
    { "id": "read-b", "period_ms": 1000, "devices": ["pump-b"] },
    { "id": "read-valve", "period_ms": 1000, "devices": ["valve"] }
  ]
}
EOF

start_sim "$CFG"
grep -q "^listening on /dev/pts/[0-9]* -> $TTY (connector rtu0, units 1,2)\$" \
    "$T/sim.out" || { cat "$T/sim.out" >&2; fail "no RTU listening line"; }
pts=$(sed -n "s|^listening on \(/dev/pts/[0-9]*\) -> .*|\1|p" "$T/sim.out")
[ -L "$TTY" ] && [ "$(readlink "$TTY")" = "$pts" ] ||
    fail "$TTY is not a link to $pts"
pass "simulator serves rtu0 on $pts, linked at the configured path"

# --- collect ---------------------------------------------------------------
start=$(date +%s)
"$JOPE" run -c "$CFG" --state-dir "$ST" --duration 6 -s "$GUARD" -n 0.2 \
    2>"$T/run.err"
rc=$?
[ $rc -eq 0 ] || { tail -5 "$T/run.err" >&2; fail "run exited with $rc"; }
pass "run on the RTU line: exit 0 in $(($(date +%s) - start)) s"

SPOOL="$ST/spool.db"
LOG="$ST/jope-smb.log"

# --- samples: every point, good, with the value the simulator serves -------
# id, lowest and highest value expected
check_point() {
    n=$(spool_sql "$SPOOL" "SELECT count(*) FROM samples WHERE point_id='$1'")
    [ "$n" -ge 2 ] || fail "point $1: $n samples (want >= 2)"
    bad=$(spool_sql "$SPOOL" "SELECT count(*) FROM samples WHERE point_id='$1'
        AND (quality <> 0 OR value IS NULL OR value < $2 OR value > $3)")
    [ "$bad" -eq 0 ] || {
        spool_sql "$SPOOL" "SELECT value, quality FROM samples
            WHERE point_id='$1' LIMIT 5" >&2
        fail "point $1: $bad of $n samples bad or outside $2..$3"; }
}
check_point A.FLOW 8.9 11.1
check_point A.TOTAL -70000 -70000
check_point A.RUN 1 1
check_point B.PRESSURE 20 20
check_point B.ALARM 0 0
check_point V.POS 3 3
# Tasks still queued at the stop are recorded as cancelled (8): a shared
# line with a guard interval always has some waiting.  Nothing else.
errors=$(spool_sql "$SPOOL" "SELECT count(*) FROM collection_errors
    WHERE NOT (code=8 AND description='executor stopping')")
[ "$errors" -eq 0 ] || {
    spool_sql "$SPOOL" "SELECT * FROM collection_errors LIMIT 5" >&2
    fail "$errors collection errors on a healthy line"; }
pass "both RTU devices and the TCP one: every point sampled, values right"

# --- the line: one session at a time, guard between sessions --------------
jq -e . "$LOG" >/dev/null || fail "log is not JSON lines"
for dev in pump-a pump-b; do
    n=$(jq -r --arg d "$dev" 'select(.event=="connect" and .device==$d and
        .connector=="rtu0") | .device' "$LOG" | wc -l)
    [ "$n" -ge 2 ] || fail "$dev: $n sessions on rtu0 (want >= 2)"
done
jq -rs --arg c rtu0 --argjson guard "$GUARD" '
    def secs: (.ts[0:19] + "Z" | fromdateiso8601) +
        ((.ts[20:26] | tonumber) / 1e6);
    [.[] | select(.connector == $c and
        (.event == "connect" or .event == "disconnect"))
        | {e: .event, d: .device, t: secs}]
    | reduce .[] as $x ({open: null, closed: null, bad: []};
        if $x.e == "connect" then
            (if .open != null then
                .bad += ["\($x.d) connected while \(.open) was"]
             else . end)
            | (if .closed != null and $x.t - .closed < $guard - 0.01 then
                .bad += ["\($x.d) connected \($x.t - .closed) s after" +
                         " a disconnect"]
             else . end)
            | .open = $x.d
        else
            (if .open != $x.d then
                .bad += ["\($x.d) disconnected while \(.open) was connected"]
             else . end)
            | .open = null | .closed = $x.t
        end)
    | if .open != null then .bad + ["\(.open) never disconnected"]
      else .bad end | .[]' "$LOG" >"$T/overlap.txt" ||
    fail "cannot check the log"
[ ! -s "$T/overlap.txt" ] || {
    cat "$T/overlap.txt" >&2
    jq -c 'select(.connector=="rtu0") | [.ts, .event, .device]' "$LOG" >&2
    fail "sessions on rtu0 overlap or break the guard"; }
nsess=$(jq -r 'select(.connector=="rtu0" and .event=="connect") | .device' \
    "$LOG" | wc -l)
pass "$nsess sessions on rtu0, never two at a time, $GUARD s guard kept"

# --- RS-485 mode on a line that cannot do it: said clearly -----------------
# A pseudo-terminal answers the RS-485 ioctl with ENOTTY; the engine must
# say what is wrong and what to change, not fail obscurely.
CFG2="$T/config-rs485"
mkdir -p "$CFG2"
cp "$CFG/app.json" "$CFG2/"
jq '(.connectors[] | select(.id == "rtu0")) += {"rs485": true}' \
    "$CFG/devices.json" >"$CFG2/devices.json"
"$JOPE" run -c "$CFG2" --state-dir "$T/state-rs485" -s 0.2 -r 1 -d 60 \
    --duration 2 2>/dev/null || fail "run with rs485 exited with $?"
msg=$(spool_sql "$T/state-rs485/spool.db" "SELECT description FROM
    collection_errors WHERE device_id LIKE 'pump-%' AND point_id IS NULL LIMIT 1")
case "$msg" in
*"does not support RS-485 mode"*"rs485"*) ;;
*) fail "no clear RS-485 error, got: $msg" ;;
esac
pass "RS-485 on a pty: $msg"

# --- the link goes with the simulator --------------------------------------
stop_sim
[ ! -e "$TTY" ] && [ ! -L "$TTY" ] || fail "$TTY left behind by the simulator"
pass "link removed when the simulator stops"
exit 0
