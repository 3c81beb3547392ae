#!/bin/sh
# test_console_batch_restart.sh: a batch survives kill -9 of the console.
#
# The demo plant on ports 16870..16876 (TUI_PORT_BASE 16850) at 80x24, the
# demo recipe with 6 s runs.  Checked:
#   - a start signed with a wrong password is refused: nothing starts and
#     the spool has no batch record;
#   - olga starts a batch; samples are tagged; the console is killed with
#     SIGKILL (no chance to save): the spool's record still says running;
#   - a new console on the same state dir takes the batch up again (same
#     id, running, the run counter not behind), and the samples it
#     collects are tagged with the batch id too;
#   - t: the batch stops gracefully and completes; the trail holds the
#     signed batch_start and batch_stop, batch_completed, and a
#     batch_record event per transition, and the audit chain verifies.
TUI_NAME=console-batch-restart
TUI_PORT_BASE=16850
TUI_COLS=80
TUI_LINES=24
. "$(dirname "$0")/tui_lib.sh"

tui_config
jq '.recipes |= map(if .id == "racemate-sep" then .run_min = 0.1 |
        .expected_h = 0.05 else . end)' \
    "$TUI_CFG/devices.json" >"$TUI_DIR/d.json" &&
    mv "$TUI_DIR/d.json" "$TUI_CFG/devices.json" || tui_fail "cannot set the recipe"
jq '.compliance = {"kdf": "interactive"}' "$TUI_CFG/app.json" >"$TUI_DIR/a.json" &&
    mv "$TUI_DIR/a.json" "$TUI_CFG/app.json" || tui_fail "cannot write app.json"
tui_user olga operator olgapass1 "Olga Operator"

spool() { sqlite3 -readonly "$TUI_STATE/spool.db" "$1"; }
console_pid() { sed -n 's/^console pid \([0-9]*\).*/\1/p' "$TUI_STATE/engine.lock"; }

tui_start_sim
tui_start_console LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=
tui_wait_text 100 "Jope.SMB" || tui_fail "no console within 10 s"
tui_keys F3     # it opens on the Overview (F2)
tui_wait_text 100 "Device / point" || tui_fail "no device table within 10 s"
tui_keys F4
tui_wait_text 30 "No batch running" || tui_fail "F4 shows no batch screen"
tui_wait_status 100 '.batch.next_id != ""' || tui_fail "status proposes no batch id"
id=$(jq -r .batch.next_id "$TUI_DIR/st.json")

# --- a wrong password starts nothing -------------------------------------
tui_keys s
tui_wait_text 30 "Electronic signature" || tui_fail "s opens no signature dialog"
tui_sign olga wrongpass1 "campaign 9"
tui_wait_text 80 "Not signed by olga" || tui_fail "a wrong password is not refused"
tui_keys Escape
sleep 1
[ "$(spool "SELECT count(*) FROM batches")" = 0 ] ||
    tui_fail "a refused start left a batch record"
tui_status
jq -e '.batch.current == null' "$TUI_DIR/st.json" >/dev/null ||
    tui_fail "a refused start started a batch: $(jq -c .batch.current "$TUI_DIR/st.json")"
tui_pass "a start signed with a wrong password is refused; nothing started"

# --- start, then kill -9 ---------------------------------------------------
tui_wait_text 30 "No batch running" || tui_fail "the dialog did not close"
tui_keys s
tui_wait_text 30 "Electronic signature" || tui_fail "s opens no signature dialog"
tui_sign olga olgapass1 "campaign 9"
tui_wait_status 100 ".batch.current.id == \"$id\" and .batch.current.samples > 0" ||
    tui_fail "$id is not running with samples: $(jq -c .batch "$TUI_DIR/st.json")"
sleep 7         # past the first 6 s run
tui_status
run1=$(jq -r .batch.current.progress.run "$TUI_DIR/st.json")
pid=$(console_pid)
[ -n "$pid" ] || tui_fail "no console pid in engine.lock"
kill -9 "$pid"
n=50; while kill -0 "$pid" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
tmux -L "$TUI_SOCK" kill-server >/dev/null 2>&1
rm -f "$TUI_DIR/rc"
[ "$(spool "SELECT state FROM batches WHERE batch_id = '$id'")" = running ] ||
    tui_fail "after kill -9 the spool's record is not running"
tagged1=$(spool "SELECT count(*) FROM samples WHERE batch_id = '$id'")
[ "$tagged1" -gt 0 ] || tui_fail "no sample in the spool is tagged $id"
tui_pass "$id running at run $run1, $tagged1 tagged samples; console killed with SIGKILL"

# --- a new console takes it up ---------------------------------------------
tui_start_console LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=
tui_wait_text 100 "Jope.SMB" || tui_fail "no console within 10 s"
tui_keys F3     # it opens on the Overview (F2)
tui_wait_text 100 "Device / point" || tui_fail "the console did not come back"
tui_wait_status 100 ".batch.current.id == \"$id\" and .batch.current.state == \"running\"" ||
    tui_fail "the batch was not taken up: $(jq -c .batch "$TUI_DIR/st.json")"
run2=$(jq -r .batch.current.progress.run "$TUI_DIR/st.json")
[ "$run2" -ge "$run1" ] || tui_fail "the run went back: $run1 -> $run2"
grep -q '"batch_resumed"' "$TUI_STATE/jope-smb.log" ||
    tui_fail "the log does not say the batch was resumed"
n=100
while [ "$(spool "SELECT count(*) FROM samples WHERE batch_id = '$id'")" -le "$tagged1" ]; do
    n=$((n - 1)); [ $n -gt 0 ] || tui_fail "no new sample tagged $id after the restart"
    sleep 0.1
done
tui_pass "the new console took $id up at run $run2; new samples are tagged"

# --- stop gracefully ---------------------------------------------------------
tui_keys F4
tui_wait_text 30 "Batch $id" || tui_fail "the batch screen does not show $id"
tui_keys t
tui_wait_text 30 "Electronic signature" || tui_fail "t opens no signature dialog"
tui_sign olga olgapass1 "campaign 9 done"
tui_wait_status 200 ".batch.current == null and .batch.recent[0].id == \"$id\" and
    .batch.recent[0].state == \"complete\"" ||
    tui_fail "$id did not complete: $(jq -c .batch "$TUI_DIR/st.json")"
[ "$(spool "SELECT state FROM batches WHERE batch_id = '$id'")" = complete ] ||
    tui_fail "the spool's record is not complete"
for kind in batch_start batch_stop batch_completed; do
    [ "$(spool "SELECT count(*) FROM audit_log WHERE kind = '$kind'
        AND (json_extract(payload, '\$.action.batch') = '$id'
        OR json_extract(payload, '\$.batch') = '$id')")" = 1 ] ||
        tui_fail "the trail has not exactly one $kind of $id"
done
[ "$(spool "SELECT count(*) FROM audit_log WHERE kind = 'batch_record'
    AND json_extract(payload, '\$.id') = '$id'")" -ge 3 ] ||
    tui_fail "the trail lacks a batch_record per transition"
[ "$(spool "SELECT json_extract(payload, '\$.state') FROM audit_log
    WHERE kind = 'batch_record' ORDER BY seq DESC LIMIT 1")" = complete ] ||
    tui_fail "the last batch_record is not the completed record"
tui_keys q
sleep 0.3
tui_keys y
n=50; while [ ! -f "$TUI_DIR/rc" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
"$JOPE" -c "$TUI_CFG" --state-dir "$TUI_STATE" audit verify >"$TUI_DIR/verify.out" 2>&1 ||
    tui_fail "audit verify: $(cat "$TUI_DIR/verify.out")"
tui_pass "t: $id completed; signed start and stop, completion and records in an intact trail"
