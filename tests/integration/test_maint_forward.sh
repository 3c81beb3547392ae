#!/bin/sh
# test_maint_forward.sh: a maintenance window announced at one console
# reaches another through the historian (PostgreSQL 15), and so does its
# cancellation.
#
# Two state dirs, A and B, each with its own spool, on one config and one
# historian, both running `jope-smb run` against the simulator.  On A a
# window (in two hours) is refused with a wrong password, changing
# nothing, then announced with two signatures fed on standard input; A's
# uploader carries the signed event to the historian, B's uploader pulls
# it into B's spool: B's `maintenance list` shows it (source historian)
# and B's engine its banner (`status --json`: .maintenance.phase
# "announced").  Then it is cancelled on A and B shows it cancelled.  With
# the historian stopped during B's pulls, B keeps running and collecting,
# and everything arrives once the historian is back.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/pg_lib.sh"
. "$top_srcdir/tests/historian_lib.sh"
need jq
need sqlite3

# Cheap Argon2id for the test; the default is moderate (doc/audit.md).
JOPE_SMB_KDF=interactive
export JOPE_SMB_KDF

pg_start 15977
CFG="$T/config"
A="$T/a"
B="$T/b"
hist_config "$top_srcdir/config/demo" "$CFG" 1620 "$PG_CONNINFO" 'del(.storage)'
JA() { "$JOPE" -c "$CFG" --state-dir "$A" "$@"; }
JB() { "$JOPE" -c "$CFG" --state-dir "$B" "$@"; }
JA db migrate >"$T/out" 2>&1 || fail "db migrate: $(cat "$T/out")"

# The signers, on A: a supervisor first, QA second (the default policy).
printf 'admin-pass-1\nadmin-pass-1\n' |
    JA user add admin --full-name "Ada Admin" --role admin --bootstrap >/dev/null 2>"$T/err" ||
    fail "bootstrap: $(cat "$T/err")"
printf 'sue-pass-111\nsue-pass-111\nadmin\nadmin-pass-1\nsupervisor\n' |
    JA user add sue --full-name "Sue Chen" --role supervisor >/dev/null 2>"$T/err" ||
    fail "user add sue: $(cat "$T/err")"
printf 'quinn-pass-1\nquinn-pass-1\nadmin\nadmin-pass-1\nqa\n' |
    JA user add quinn --full-name "Quinn Lee" --role qa >/dev/null 2>"$T/err" ||
    fail "user add quinn: $(cat "$T/err")"

START=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:00Z)
END=$(date -u -d '+4 hours' +%Y-%m-%dT%H:%M:00Z)
REASON="Column repacking, line 2"
announce() {
    JA maintenance announce --start "$START" --end "$END" --reason "$REASON"
}
windows() { "$JOPE" -c "$CFG" --state-dir "$1" maintenance list --json | jq -c "$2"; }
events() { spool_sql "$A/spool.db" "SELECT count(*) FROM audit_log WHERE kind = '$1'"; }

# --- a wrong password: refused, nothing changed -------------------------------
printf 'sue\nnot-her-password\n\nplanned\nquinn\nquinn-pass-1\n\nok\n' |
    announce >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "wrong password: exit $rc (want 1)"
grep -q "refused" "$T/err" || fail "wrong password: $(cat "$T/err")"
[ "$(windows "$A" '.windows | length')" = 0 ] || fail "a window after a refusal"
[ "$(events maintenance_announce)" = 0 ] || fail "an announcement audited after a refusal"
pass "a wrong password is refused and changes nothing"

# --- announced on A -----------------------------------------------------------
printf 'sue\nsue-pass-111\n\nplanned stop\nquinn\nquinn-pass-1\napproved\nchecked\n' |
    announce >"$T/out" 2>"$T/err" || fail "announce exit $?: $(cat "$T/err")"
ID=$(sed -n 's/^Maintenance window \(m-[0-9a-f]\{16\}\) announced.*/\1/p' "$T/out")
[ -n "$ID" ] || fail "announce: no id in $(cat "$T/out")"
[ "$(windows "$A" "[.windows[] | select(.id == \"$ID\") | .source, .announced_by, .phase] | join(\" \")")" = '"console sue announced"' ] ||
    fail "A's list: $(windows "$A" .)"
[ "$(events maintenance_announce)" = 1 ] || fail "announcement not audited"
JA audit verify >"$T/out" 2>&1 || fail "A's trail after the announcement: $(cat "$T/out")"
pass "announced on A ($ID) with two signatures, audited"

# --- A uploads, B pulls -------------------------------------------------------
start_sim "$CFG"
PIDS=""
run_engine() {   # STATE_DIR
    "$JOPE" run -c "$CFG" --state-dir "$1" 2>>"$T/run-$(basename "$1").err" &
    PIDS="$PIDS $!"
    eval "PID_$(basename "$1")=$!"
}
stop_engines() {
    for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    PIDS=""
}
kill_engines() { for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; }
CLEANUPS="$CLEANUPS kill_engines"

in_historian() {
    [ "$(pg_psql "SELECT count(*) FROM audit_events WHERE kind = '$1'" 2>/dev/null)" = "$2" ]
}
run_engine "$A"
wait_until 300 in_historian maintenance_announce 1 ||
    fail "A did not upload the announcement: $(tail -n 3 "$T/run-a.err")"
run_engine "$B"
b_has() { [ "$(windows "$B" "[.windows[] | select(.id == \"$ID\") | $1] | length")" = 1 ]; }
wait_until 300 b_has "select(.source == \"historian\" and .reason == \"$REASON\" and .cancelled == false and .announced_by == \"sue\")" ||
    fail "B does not list the window: $(windows "$B" .)"
grep -q '"event":"maintenance_received"' "$B/jope-smb.log" "$T/run-b.err" 2>/dev/null ||
    fail "B did not log maintenance_received"
pass "B's spool has A's window (source historian) after a sync"

b_banner() {
    JB status --json 2>/dev/null | jq -e --arg r "$REASON" --arg id "$ID" \
        '.maintenance.phase == "announced" and .maintenance.window.reason == $r
         and .maintenance.window.id == $id' >/dev/null
}
wait_until 100 b_banner || fail "B's status does not show the banner: $(JB status --json | jq -c .maintenance)"
pass "B's engine shows the banner: maintenance announced, with A's reason"

# A does not get its own window back from the historian.
sleep 6
[ "$(windows "$A" '[.windows[] | .source] | join(" ")')" = '"console"' ] ||
    fail "A's list after a sync: $(windows "$A" .)"
pass "A keeps its own window once, as source console"

# --- cancelled on A -------------------------------------------------------------
printf 'sue\nsue-pass-111\n\nnot needed\nquinn\nquinn-pass-1\n\nok\n' |
    JA maintenance cancel "$ID" >"$T/out" 2>"$T/err" || fail "cancel exit $?: $(cat "$T/err")"
[ "$(windows "$A" "[.windows[] | select(.id == \"$ID\") | .cancelled] | .[0]")" = true ] ||
    fail "A's list after the cancellation: $(windows "$A" .)"
printf 'sue\nsue-pass-111\n\nagain\n' | JA maintenance cancel "$ID" >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "cancelling twice: exit $rc (want 1)"
grep -q "cancelled already" "$T/err" || fail "cancelling twice: $(cat "$T/err")"
# A runs and uploads: the one cancellation is in A's spool or, once
# uploaded (and gone from the spool), in the historian.
wait_until 300 in_historian maintenance_cancel 1 ||
    fail "cancellations audited: spool $(events maintenance_cancel), historian $(pg_psql "SELECT count(*) FROM audit_events WHERE kind = 'maintenance_cancel'")"
wait_until 300 b_has "select(.cancelled == true and .status == \"cancelled\")" ||
    fail "B does not show the cancellation: $(windows "$B" .)"
b_no_banner() { JB status --json 2>/dev/null | jq -e '.maintenance == null' >/dev/null; }
wait_until 100 b_no_banner || fail "B still shows a banner: $(JB status --json | jq -c .maintenance)"
pass "cancelled on A: B shows it cancelled after a sync, and no banner"

# --- the historian stopped during B's pulls -------------------------------------
pg_stop
b_state() { JB status --json 2>/dev/null | jq -r .historian.state; }
b_down() { [ "$(b_state)" = down ]; }
wait_until 200 b_down || fail "B does not see the historian go: $(b_state)"
before=$(spool_waiting "$B/spool.db")
sleep 6
kill -0 "$PID_b" 2>/dev/null || fail "B stopped while the historian was down"
after=$(spool_waiting "$B/spool.db")
[ "$after" -gt "$before" ] || fail "B did not collect while the historian was down ($before -> $after)"
b_has "select(.cancelled == true)" || fail "B lost the window while the historian was down"
pass "historian down during B's pulls: B runs on and collects ($before -> $after waiting)"

pg_start_again
b_up() { [ "$(b_state)" = up ]; }
wait_until 300 b_up || fail "B did not reconnect: $(b_state)"
wait_until 300 spool_empty "$B/spool.db" || fail "B's backlog not uploaded: $(spool_waiting "$B/spool.db") left"
stop_engines
hist_check "$B/spool.db"
hist_check "$A/spool.db"
[ "$(windows "$B" '.windows | length')" = 1 ] || fail "B's windows: $(windows "$B" .)"
pass "historian back: B's backlog arrived once, in order; one window on B"
