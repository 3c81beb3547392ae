#!/bin/sh
# test_cli_troubleshoot.sh: the read-only commands for troubleshooting over
# SSH: `spool` (the backlog by point, against sqlite3's counts), `poll`
# (one read now through the executor: plausible values from the simulator,
# a clear failure when it is gone, refused beside a running engine, exit 2
# for an unknown id, and never a record in the spool) and `log` (the last
# lines pretty or raw, a level filter, a garbage line, --follow seeing a new
# line and stopping with 0 on SIGTERM).
. "$(dirname "$0")/../lib.sh"
need jq
need sqlite3

CFG="$T/config"
ST="$T/state"
SPOOL="$ST/spool.db"
LOG="$ST/jope-smb.log"
copy_config "$top_srcdir/config/demo" "$CFG" 1750
# Modbus only, and no historian (the demo has none): the backlog stays.
jq 'del(.inference)' "$CFG/app.json" >"$T/app.json" && mv "$T/app.json" "$CFG/app.json"

start_sim "$CFG"

# A background jope-smb (run, log --follow), stopped on any exit.
BG_PID=""
stop_bg() {
    [ -n "$BG_PID" ] || return 0
    kill "$BG_PID" 2>/dev/null
    wait "$BG_PID" 2>/dev/null
    BG_PID=""
}
CLEANUPS="stop_bg"

# What the spool holds: samples and error records (poll must add none).
spool_records() {
    spool_sql "$SPOOL" "SELECT (SELECT count(*) FROM samples) || ' ' ||
        (SELECT count(*) FROM collection_errors) || ' ' ||
        (SELECT count(*) FROM audit_log)"
}

# --- a backlog: the engine without a historian for a few seconds -----------
"$JOPE" run -c "$CFG" --state-dir "$ST" --duration 3 2>"$T/run.err" ||
    { tail -5 "$T/run.err"; fail "run exited with $?"; }

"$JOPE" spool -c "$CFG" --state-dir "$ST" --json >"$T/spool.json"; rc=$?
[ $rc -eq 0 ] || fail "spool --json exit $rc (want 0)"
"$JOPE" spool -c "$CFG" --state-dir "$ST" >"$T/spool.txt"; rc=$?
[ $rc -eq 0 ] || fail "spool exit $rc (want 0)"
samples=$(spool_sql "$SPOOL" "SELECT count(*) FROM samples")
[ "$samples" -gt 0 ] || fail "no backlog after run"
for pair in "samples samples" "errors collection_errors" "spectra spectra" \
    "audit audit_log"; do
    set -- $pair
    want=$(spool_sql "$SPOOL" "SELECT count(*) FROM $2")
    got=$(jq ".totals.$1" "$T/spool.json")
    [ "$got" = "$want" ] || fail "spool --json totals.$1 $got, sqlite3 $want"
done
spool_sql "$SPOOL" "SELECT point_id, count(*) FROM samples GROUP BY point_id
    ORDER BY point_id" | tr '|' ' ' >"$T/by_point.sql"
jq -r '.points[] | "\(.point) \(.rows)"' "$T/spool.json" >"$T/by_point.json"
cmp -s "$T/by_point.sql" "$T/by_point.json" ||
    { diff "$T/by_point.sql" "$T/by_point.json"; fail "spool --json by point differs from sqlite3"; }
while read -r point rows; do
    grep -Eq "^$point +$rows +[0-9-]+T[0-9:]+Z +[0-9-]+T[0-9:]+Z +[0-9.]+ s" "$T/spool.txt" ||
        { cat "$T/spool.txt"; fail "spool text lacks $point with $rows rows"; }
done <"$T/by_point.sql"
grep -q "Waiting: *$samples sample(s)" "$T/spool.txt" || fail "spool text total"
oldest=$(spool_sql "$SPOOL" "SELECT min(ts_us) FROM samples")
first=$(jq -r '[.points[].oldest] | min' "$T/spool.json")
[ "$(date -u -d "$first" +%s)" -eq $((oldest / 1000000)) ] || fail "oldest $first vs $oldest"
jq -e '.totals.oldest_age_s >= 0 and .totals.file_bytes > 0' "$T/spool.json" >/dev/null ||
    fail "spool --json: oldest age or file size"
pass "spool: $samples sample(s) by point, text and --json agree with sqlite3"

"$JOPE" spool -c "$CFG" --state-dir "$T/empty" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "spool without a spool exit $rc (want 1)"
grep -q "no spool" "$T/err" || fail "spool without a spool: $(cat "$T/err")"
[ ! -e "$T/empty/spool.db" ] || fail "spool created a spool"
pass "spool on a state dir without one exits 1, creating nothing"

# --- poll: the simulator answers, no engine runs -----------------------------
before=$(spool_records)
"$JOPE" poll pumps -c "$CFG" --state-dir "$ST" >"$T/poll.txt" 2>"$T/poll.err"; rc=$?
[ $rc -eq 0 ] || { cat "$T/poll.txt" "$T/poll.err"; fail "poll exit $rc (want 0)"; }
for id in $(jq -r '.points[] | select(.device == "pumps") | .id' "$CFG/devices.json"); do
    grep -Eq "^$id +[-0-9.e+]+ .*good" "$T/poll.txt" ||
        { cat "$T/poll.txt"; fail "poll text lacks a good value of $id"; }
done
grep -q "nothing was stored" "$T/poll.txt" || fail "poll does not say that it stored nothing"

"$JOPE" poll pumps -c "$CFG" --state-dir "$ST" --json >"$T/poll.json"; rc=$?
[ $rc -eq 0 ] || fail "poll --json exit $rc (want 0)"
npumps=$(jq '[.points[] | select(.device == "pumps")] | length' "$CFG/devices.json")
jq -e --argjson n "$npumps" '.device == "pumps" and .read == $n and .failed == 0
    and .stored == false and (.points | length) == $n and .elapsed_s >= 0
    and all(.points[]; .ok and .quality == "good" and (.value | type) == "number")' \
    "$T/poll.json" >/dev/null || { cat "$T/poll.json"; fail "poll --json"; }
# Plausible: inside what the simulator can produce (as test_collect.sh).
jq -r '.points[] | select(.device == "pumps") | [.id, (.sim.base // 0),
       (.sim.amplitude // 0), (.sim.noise // 0), (.scale // 1)] | @tsv' "$CFG/devices.json" |
while IFS="$(printf '\t')" read -r id base amp noise scale; do
    jq -e --arg id "$id" --argjson b "$base" --argjson a "$amp" \
        --argjson z "$noise" --argjson s "$scale" \
        '.points[] | select(.point == $id) | .value as $v
         | (($a | fabs) + 6 * $z + ($s | fabs) + 0.001) as $w
         | $v >= $b - $w and $v <= $b + $w' "$T/poll.json" >/dev/null ||
        fail "poll: $id = $(jq --arg id "$id" '.points[] | select(.point == $id) | .value' "$T/poll.json"), not $base ± $amp"
done || exit 1
"$JOPE" poll pressure PT-301 -c "$CFG" --state-dir "$ST" --json >"$T/poll1.json" ||
    fail "poll of one point exit $?"
jq -e '(.points | length) == 1 and .points[0].point == "PT-301"
    and .points[0].unit == "bar" and .points[0].ok' "$T/poll1.json" >/dev/null ||
    { cat "$T/poll1.json"; fail "poll DEVICE POINT"; }
[ "$(spool_records)" = "$before" ] || fail "poll changed the spool: $before -> $(spool_records)"
pass "poll reads plausible values (exit 0) and stores nothing"

"$JOPE" poll nosuch -c "$CFG" --state-dir "$ST" 2>"$T/err"; rc=$?
[ $rc -eq 2 ] || fail "poll of an unknown device exit $rc (want 2)"
grep -q "nosuch" "$T/err" && grep -q "pumps, pressure" "$T/err" ||
    { cat "$T/err"; fail "unknown device: not named, or no list of devices"; }
"$JOPE" poll pumps PT-301 -c "$CFG" --state-dir "$ST" 2>"$T/err"; rc=$?
[ $rc -eq 2 ] || fail "poll of another device's point exit $rc (want 2)"
grep -q "FT-101" "$T/err" && grep -q "belongs to device pressure" "$T/err" ||
    { cat "$T/err"; fail "unknown point: no hint or list"; }
"$JOPE" poll -c "$CFG" --state-dir "$ST" 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "poll without a device exit $rc (want 2)"
pass "poll of an unknown device or point exits 2 with the valid ids"

# --- poll beside a running engine: refused, nothing read or stored ----------
# A second state dir whose engine reads only the feed, so that the pumps'
# rows in its spool can only come from the poll.
CFG2="$T/config2"
ST2="$T/state2"
mkdir -p "$CFG2"
cp "$CFG/app.json" "$CFG2/"
jq '.events |= map(select(.id == "read-feed"))' "$CFG/devices.json" >"$CFG2/devices.json"
"$JOPE" run -c "$CFG2" --state-dir "$ST2" 2>"$T/run2.err" &
RUN_PID=$!
BG_PID=$RUN_PID
wait_until 100 sh -c "\"$JOPE\" status -c \"$CFG2\" --state-dir \"$ST2\" >/dev/null 2>&1" ||
    fail "the second engine did not start"
pumps_rows() {
    spool_sql "$ST2/spool.db" "SELECT count(*) FROM samples WHERE point_id IN
        ('FT-101','FT-102','FT-103','FT-104','P-101.RUN','FIC-101.SP')"
}
errors_before=$(spool_sql "$ST2/spool.db" "SELECT count(*) FROM collection_errors")
"$JOPE" poll pumps -c "$CFG2" --state-dir "$ST2" >"$T/busy.out" 2>"$T/busy.err"; rc=$?
[ $rc -eq 7 ] || { cat "$T/busy.err"; fail "poll beside run exit $rc (want 7)"; }
grep -q "run pid $RUN_PID" "$T/busy.err" || { cat "$T/busy.err"; fail "refusal does not name run pid $RUN_PID"; }
grep -q "sim-pumps" "$T/busy.err" || fail "refusal does not name the line"
grep -q "nothing was read" "$T/busy.err" || fail "refusal does not say nothing was read"
[ ! -s "$T/busy.out" ] || fail "refused poll printed values"
grep -q "^run pid $RUN_PID" "$ST2/engine.lock" || fail "poll changed the lock's holder"
[ "$(pumps_rows)" -eq 0 ] || fail "pumps rows in the spool of an engine that does not read them"
[ "$(spool_sql "$ST2/spool.db" "SELECT count(*) FROM collection_errors")" -eq "$errors_before" ] ||
    fail "the refused poll left error records"
# spool works beside the running engine.
"$JOPE" spool -c "$CFG2" --state-dir "$ST2" --json >"$T/spool2.json" ||
    fail "spool beside a running engine exit $?"
jq -e '.totals.samples >= 0' "$T/spool2.json" >/dev/null || fail "spool beside run"
kill -TERM "$RUN_PID"
wait "$RUN_PID" || fail "run exit $? after SIGTERM"
BG_PID=""
pass "poll refused (exit 7) while run holds the state dir, naming it; spool reads beside it"

# --- poll with the simulator gone --------------------------------------------
stop_sim
before=$(spool_records)
"$JOPE" poll pumps -c "$CFG" --state-dir "$ST" -r 2 -s 0.2 >"$T/dead.txt" 2>"$T/dead.err"; rc=$?
[ $rc -eq 3 ] || { cat "$T/dead.txt" "$T/dead.err"; fail "poll of a dead device exit $rc (want 3)"; }
grep -q "attempt 1 of 2" "$T/dead.err" || { cat "$T/dead.err"; fail "no word of the failed connect"; }
grep -q "connect_refused" "$T/dead.txt" || { cat "$T/dead.txt"; fail "the connect error is not shown"; }
grep -q "Read 0 of $npumps point" "$T/dead.txt" || fail "dead poll summary"
"$JOPE" poll pumps FT-101 -c "$CFG" --state-dir "$ST" -r 1 --json >"$T/dead.json" 2>/dev/null; rc=$?
[ $rc -eq 3 ] || fail "poll --json of a dead device exit $rc (want 3)"
jq -e '.read == 0 and .failed == 1 and .connect_error.name == "connect_refused"
    and (.points[0].error.code | type) == "number" and (.points[0] | has("value") | not)' \
    "$T/dead.json" >/dev/null || { cat "$T/dead.json"; fail "dead poll --json"; }
[ "$(spool_records)" = "$before" ] || fail "a failed poll changed the spool"
pass "poll of a device that does not answer exits 3 with the error"

# --- log ---------------------------------------------------------------------
"$JOPE" log --state-dir "$ST" -n 5 >"$T/log5.txt"; rc=$?
[ $rc -eq 0 ] || fail "log exit $rc (want 0)"
[ "$(wc -l <"$T/log5.txt")" -eq 5 ] || { cat "$T/log5.txt"; fail "log -n 5 shows $(wc -l <"$T/log5.txt") lines"; }
grep -Evq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}\.[0-9]{3} (DEBUG|INFO |WARN |ERROR) [a-z_]+' "$T/log5.txt" &&
    { cat "$T/log5.txt"; fail "log lines are not 'time LEVEL event ...'"; }
tail -n 5 "$LOG" | jq -r .event >"$T/events.want"
awk '{print $4}' "$T/log5.txt" >"$T/events.got"
cmp -s "$T/events.want" "$T/events.got" || fail "log -n 5 does not show the last 5 events"
! grep -q "$(printf '\033')" "$T/log5.txt" || fail "colour into a file"
# Enough lines for the default of 20 to matter.
i=0
while [ $i -lt 25 ]; do
    printf '{"ts":"2026-11-21T12:59:%02d.000000Z","level":"debug","event":"filler","i":%d}\n' $i $i >>"$LOG"
    i=$((i + 1))
done
"$JOPE" log --state-dir "$ST" >"$T/log20.txt" || fail "log exit $?"
[ "$(wc -l <"$T/log20.txt")" -eq 20 ] || fail "log shows $(wc -l <"$T/log20.txt") lines by default (want 20)"
grep -q "filler i=24$" "$T/log20.txt" && ! grep -q "filler i=4$" "$T/log20.txt" ||
    fail "log by default is not the last 20 lines"
"$JOPE" log --state-dir "$ST" -n 5 --json >"$T/log5.json" || fail "log --json exit $?"
tail -n 5 "$LOG" | cmp -s - "$T/log5.json" || fail "log --json is not the raw lines"
pass "log: the last N lines, pretty and raw"

printf '%s\n' '{"ts":"2026-11-21T13:00:01.123456Z","level":"warn","event":"test_warn","a":"b c","n":5}' >>"$LOG"
printf 'not json \033[31m at all\n' >>"$LOG"
printf '%s\n' '{"ts":"2026-11-21T13:00:02.000001Z","level":"info","event":"test_info"}' >>"$LOG"
TZ=UTC "$JOPE" log --state-dir "$ST" -n 3 >"$T/log3.txt"; rc=$?
[ $rc -eq 0 ] || fail "log with a garbage line exit $rc"
sed -n 1p "$T/log3.txt" | grep -qx '2026-11-21 13:00:01.123 WARN  test_warn a="b c" n=5' ||
    { cat "$T/log3.txt"; fail "pretty line of test_warn"; }
sed -n 2p "$T/log3.txt" | grep -qx 'not json ?\[31m at all' || { cat "$T/log3.txt"; fail "garbage line not shown as it is"; }
"$JOPE" log --state-dir "$ST" -n 3 --json >"$T/log3.json" 2>"$T/log3.err" || fail "log --json with garbage exit $?"
jq -e . "$T/log3.json" >/dev/null || fail "log --json passed a line that is not JSON"
[ "$(wc -l <"$T/log3.json")" -eq 3 ] || fail "log --json -n 3 with garbage"
grep -q "not a JSON object" "$T/log3.err" || fail "log --json does not say it skipped a line"
"$JOPE" log --state-dir "$ST" --level=warn -n 1000 --json >"$T/warn.json" 2>/dev/null || fail "log --level exit $?"
jq -e 'select(.level != "warn" and .level != "error")' "$T/warn.json" >/dev/null &&
    fail "log --level=warn shows lower levels"
grep -q test_warn "$T/warn.json" || fail "log --level=warn lost a warning"
pass "log: level filter; a garbage line is shown as is (skipped with --json)"

"$JOPE" log --state-dir "$ST" -n 1 --follow >"$T/follow.txt" 2>"$T/follow.err" &
FOLLOW_PID=$!
BG_PID=$FOLLOW_PID
wait_until 50 grep -q test_info "$T/follow.txt" || fail "log --follow: no last line"
printf '%s\n' '{"ts":"2026-11-21T13:00:03.000000Z","level":"error","event":"appended_now","device":"pumps"}' >>"$LOG"
wait_until 50 grep -q "ERROR appended_now device=pumps" "$T/follow.txt" ||
    { cat "$T/follow.txt"; fail "log --follow did not show the appended line"; }
: >"$LOG"
printf '%s\n' '{"level":"info","event":"after_truncation"}' >>"$LOG"
wait_until 50 grep -q "after_truncation" "$T/follow.txt" || fail "log --follow lost a truncated log"
kill -TERM "$FOLLOW_PID"
wait "$FOLLOW_PID"; rc=$?
BG_PID=""
[ $rc -eq 0 ] || fail "log --follow exit $rc after SIGTERM (want 0)"
pass "log --follow shows new lines, survives truncation, exits 0 on SIGTERM"

"$JOPE" log --state-dir "$T/empty" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "log without a log exit $rc (want 1)"
grep -q "no log" "$T/err" || fail "log without a log: $(cat "$T/err")"
pass "log without a log exits 1"
exit 0
