#!/bin/sh
# test_console_batch.sh: a batch's life on the batch screen (F4), every
# command signed in the e-signature dialogs, and a maintenance window
# announced from it, in a tmux terminal of 80x24.
#
# The demo plant on ports 16820..16826 (TUI_PORT_BASE 16800).  The demo
# recipe runs 6 s runs (run_min 0.1) for about 3 min (expected_h 0.05); a
# second, slow recipe makes s ask which one.  Users (jope-smb user add,
# before the console starts): olga (operator), sam (supervisor) and quinn
# (QA); the signature policy is the default one (one signature for start,
# hold, resume and stop; two for abort and for a maintenance window).
# Checked:
#   - F4 shows "No batch running", the recipe and id a start would take,
#     only the keys that work (F8/s Start, m, F10 Quit), at 80 columns;
#     F10 there asks to quit like everywhere (answered no);
#   - s: the recipe list, then the signature dialog naming the batch and
#     the recipe; olga signs; status says running and counts samples, and
#     `batch report ID --csv -` lists samples tagged with the id (sqlite3
#     on the spool when the command is missing);
#   - h and u (olga): held, then running again, the screen follows;
#   - F11 opens the stop signature dialog (Esc: nothing stops), then t
#     (olga): "Stopping: completes at the end of run N", then within
#     10 s the batch is complete and listed as such in the recent batches;
#   - a second batch: F12 opens the abort's 4-eyes dialog (Esc), then
#     aborted with x: a wrong password for the second signer (sam) is
#     refused and the batch goes on; then olga and sam sign and it is
#     aborted;
#   - m: the form refuses a blank reason; a window that starts now, signed
#     by sam and quinn: the MAINTENANCE banner shows, s is refused with
#     the reason and nothing starts (status .batch.start_refused);
#   - F1 lists the commands (F11 Stop, F12 Abort, F10 Quit);
#   - the audit chain verifies after the session.
TUI_NAME=console-batch
TUI_PORT_BASE=16800
TUI_COLS=80
TUI_LINES=24
. "$(dirname "$0")/tui_lib.sh"

tui_config
jq '.recipes |= (map(if .id == "racemate-sep" then .run_min = 0.1 |
        .expected_h = 0.05 else . end) +
    [{"id": "racemate-slow", "name": "Racemate slow", "version": "1",
      "run_min": 1, "expected_h": 2, "points": ["FT-101"]}])' \
    "$TUI_CFG/devices.json" >"$TUI_DIR/d.json" &&
    mv "$TUI_DIR/d.json" "$TUI_CFG/devices.json" || tui_fail "cannot set the recipes"
jq '.compliance = {"kdf": "interactive"}' "$TUI_CFG/app.json" >"$TUI_DIR/a.json" &&
    mv "$TUI_DIR/a.json" "$TUI_CFG/app.json" || tui_fail "cannot write app.json"
tui_check_config
tui_user olga operator olgapass1 "Olga Operator"
tui_user sam supervisor sampass12 "Sam Supervisor"
tui_user quinn qa quinnpass1 "Quinn QA"
tui_pass "users olga (operator), sam (supervisor), quinn (QA) added"

# sign_expect TEXT...: the open signature dialog shows every TEXT.
sign_expect() {
    screen=$(tui_capture)
    for text in "$@"; do
        printf '%s\n' "$screen" | grep -qF -- "$text" ||
            tui_fail "the signature dialog does not show '$text'"
    done
}

tui_start_sim
tui_start_console LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=
tui_wait_text 100 "Jope.SMB" || tui_fail "no console within 10 s"
tui_keys F3     # it opens on the Overview (F2)
tui_wait_text 100 "Device / point" || tui_fail "no device table within 10 s"
tui_keybar | grep -qF "F4 Batch" || tui_fail "the key bar offers no 'F4 Batch': $(tui_keybar)"

# --- the batch screen, no batch -----------------------------------------
tui_keys F4
tui_wait_text 30 "No batch running" || tui_fail "F4 shows no batch screen"
tui_wait_status 100 '.batch.next_id != ""' || tui_fail "status proposes no batch id"
id1=$(tui_status_value .batch.next_id)
tui_wait_text 50 "Next batch: $id1" || tui_fail "the screen does not propose $id1"
tui_capture | grep -qF "Racemate separation v3 (racemate-sep)" ||
    tui_fail "the screen does not name the recipe a start runs"
tui_wait_bar 30 "F8/s Start" || tui_fail "no 'F8/s Start' in the bar: $(tui_keybar)"
bar=$(tui_keybar)
for text in "F10 Quit" "m Maintenance"; do
    printf '%s\n' "$bar" | grep -qF -- "$text" || tui_fail "the bar lacks '$text': $bar"
done
for text in "Hold" "Stop" "Abort" "q Quit"; do
    printf '%s\n' "$bar" | grep -qF -- "$text" && tui_fail "the bar offers '$text' with no batch: $bar"
done
tui_capture | grep -qF "FT-101" || tui_fail "the recipe's key points are not listed"
tui_check_width 80 || tui_fail "the batch screen is wider than 80 columns"
tui_keys F10
tui_wait_text 30 "Quit the console?" || tui_fail "F10 on the batch screen does not ask to quit"
tui_keys n
sleep 0.3
tui_alive || tui_fail "the console quit on n"
tui_capture | grep -qF "Quit the console?" && tui_fail "n does not close the quit question"
tui_capture | grep -qF "No batch running" || tui_fail "n does not go back to the batch screen"
tui_pass "F4: no batch, the recipe and $id1 proposed, only the keys that work; F10 asks to quit"

# --- start --------------------------------------------------------------
tui_keys s
tui_wait_text 30 "which recipe?" || tui_fail "s shows no recipe list"
tui_capture | grep -qF "Racemate slow v1 (racemate-slow)" ||
    tui_fail "the recipe list lacks the second recipe"
tui_keys Down Up Enter
tui_wait_text 30 "Electronic signature" || tui_fail "Enter on the recipe opens no signature dialog"
sign_expect "start a batch" "$id1" "Racemate separation v3"
tui_check_width 80 || tui_fail "the signature dialog is wider than 80 columns"
tui_sign olga olgapass1 "campaign 7"
tui_wait_status 100 ".batch.current.id == \"$id1\" and .batch.current.state == \"running\"" ||
    tui_fail "status shows no running $id1: $(jq -c .batch "$TUI_DIR/st.json")"
tui_wait_text 50 "Batch $id1: Racemate separation v3" || tui_fail "the screen shows no $id1"
tui_wait_text 30 "running" || tui_fail "the screen does not say running"
tui_wait_text 50 "Elapsed" || tui_fail "the screen shows no progress"
tui_wait_status 150 '.batch.current.samples > 0' ||
    tui_fail "no samples counted for $id1: $(jq -c .batch.current "$TUI_DIR/st.json")"
# The batch's samples: `batch report --csv -` (a header, then a row a
# sample of the batch), else the spool itself.
if "$JOPE" -c "$TUI_CFG" --state-dir "$TUI_STATE" batch report "$id1" \
    --csv - >"$TUI_DIR/report.csv" 2>"$TUI_DIR/report.err"; then
    head -n 1 "$TUI_DIR/report.csv" | grep -q "^time,point,value" ||
        tui_fail "batch report --csv has no header: $(head -n 2 "$TUI_DIR/report.csv")"
    n=$(($(wc -l <"$TUI_DIR/report.csv") - 1))
    how="batch report"
elif command -v sqlite3 >/dev/null 2>&1; then
    n=$(sqlite3 -readonly "$TUI_STATE/spool.db" \
        "SELECT count(*) FROM samples WHERE batch_id = '$id1'" 2>&1) ||
        tui_fail "cannot read the spool: $n"
    how="the spool"
else
    n=$(tui_status_value .batch.current.samples)
    how="status"
fi
[ "$n" -gt 0 ] || tui_fail "no sample is tagged $id1 ($how)"
# The bar gives the keys their room back once the message is gone.
tui_wait_bar 70 "F9/h Hold" || tui_fail "no 'F9/h Hold' while running: $(tui_keybar)"
bar=$(tui_keybar)
for text in "F11/t Stop" "F12/x Abort" "F10 Quit"; do
    printf '%s\n' "$bar" | grep -qF -- "$text" || tui_fail "the bar lacks '$text': $bar"
done
printf '%s\n' "$bar" | grep -qF "Start" && tui_fail "the bar offers Start while $id1 runs: $bar"
tui_check_width 80 || tui_fail "the running batch is wider than 80 columns"
tui_pass "s, recipe, olga signs: $id1 running, $n samples tagged with it ($how)"

# --- hold and resume ----------------------------------------------------
tui_keys h
tui_wait_text 30 "Electronic signature" || tui_fail "h opens no signature dialog"
sign_expect "hold a batch" "$id1" "held"
tui_sign olga olgapass1 "column check"
tui_wait_status 100 '.batch.current.state == "held"' || tui_fail "the batch is not held"
tui_wait_text 50 "paused" || tui_fail "the screen does not show the held run"
tui_wait_bar 70 "F9/u Resume" || tui_fail "no 'F9/u Resume' while held: $(tui_keybar)"
tui_keys u
tui_wait_text 30 "Electronic signature" || tui_fail "u opens no signature dialog"
sign_expect "resume a batch" "$id1"
tui_sign olga olgapass1 "column fine"
tui_wait_status 100 '.batch.current.state == "running"' || tui_fail "the batch is not running again"
tui_wait_bar 70 "F9/h Hold" || tui_fail "no 'F9/h Hold' after resume: $(tui_keybar)"
tui_pass "h and u: held, then running again"

# --- stop, gracefully ---------------------------------------------------
# Right after a run begins, so that the stop has most of a 6 s run to show.
# F11 asks for the same signature as t; Esc there stops nothing.
tui_keys F11
tui_wait_text 30 "Electronic signature" || tui_fail "F11 opens no signature dialog"
sign_expect "stop a batch" "$id1" "finishes"
tui_keys Escape
sleep 0.5
tui_capture | grep -qF "Electronic signature" && tui_fail "Esc does not close the stop dialog"
[ "$(tui_status_value .batch.current.state)" = running ] ||
    tui_fail "$id1 is not running after a cancelled stop: $(jq -c .batch "$TUI_DIR/st.json")"
tui_wait_status 100 '.batch.current.progress.run_remaining_s >= 5' ||
    tui_fail "no run begins: $(jq -c .batch.current "$TUI_DIR/st.json")"
tui_keys t
tui_wait_text 30 "Electronic signature" || tui_fail "t opens no signature dialog"
sign_expect "stop a batch" "$id1" "finishes"
tui_sign olga olgapass1 "campaign done"
tui_wait_text 50 "Stopping: completes at the end of run" ||
    tui_fail "the screen does not say the batch is stopping"
tui_wait_status 120 ".batch.current == null and .batch.recent[0].id == \"$id1\" and
    .batch.recent[0].state == \"complete\"" ||
    tui_fail "$id1 is not complete 12 s after the stop: $(jq -c .batch "$TUI_DIR/st.json")"
tui_wait_text 30 "No batch running" || tui_fail "the screen still shows a batch"
tui_capture | grep -F "$id1" | grep -qF "complete" ||
    tui_fail "the recent batches do not list $id1 as complete"
tui_pass "F11: the stop dialog; t: stopping, then $id1 complete within the run, listed as such"

# --- a second batch, aborted with 4 eyes --------------------------------
tui_wait_status 50 ".batch.next_id != \"\" and .batch.next_id != \"$id1\"" ||
    tui_fail "no new batch id proposed"
id2=$(tui_status_value .batch.next_id)
tui_keys F8
tui_wait_text 30 "which recipe?" || tui_fail "F8 shows no recipe list"
tui_keys Enter
tui_wait_text 30 "Electronic signature" || tui_fail "no signature dialog for $id2"
tui_sign olga olgapass1 "campaign 8"
tui_wait_status 100 ".batch.current.id == \"$id2\" and .batch.current.state == \"running\"" ||
    tui_fail "$id2 is not running"
# F12 asks for the same 4-eyes signatures as x; Esc there aborts nothing.
tui_keys F12
tui_wait_text 30 "First signature (4-eyes)" || tui_fail "F12 opens no 4-eyes dialog"
sign_expect "abort a batch" "$id2" "at once"
tui_keys Escape
sleep 0.5
tui_capture | grep -qF "First signature" && tui_fail "Esc does not close the abort dialog"
[ "$(tui_status_value .batch.current.state)" = running ] ||
    tui_fail "$id2 is not running after a cancelled abort: $(jq -c .batch "$TUI_DIR/st.json")"
tui_keys x
tui_wait_text 30 "First signature (4-eyes)" || tui_fail "x opens no 4-eyes dialog"
sign_expect "abort a batch" "$id2" "at once"
tui_sign olga olgapass1 "column leak"
tui_wait_text 30 "Second signature (4-eyes)" || tui_fail "no second signature for the abort"
tui_sign sam wrongpassword "confirmed"
tui_wait_text 100 "wrong password" || tui_fail "a wrong password shows no reason"
tui_keys Escape
sleep 1
[ "$(tui_status_value .batch.current.state)" = running ] ||
    tui_fail "$id2 is not running after a refused abort: $(jq -c .batch "$TUI_DIR/st.json")"
tui_keys x
tui_wait_text 30 "First signature (4-eyes)" || tui_fail "x opens no 4-eyes dialog again"
tui_sign olga olgapass1 "column leak"
tui_wait_text 30 "Second signature (4-eyes)" || tui_fail "no second signature for the abort"
tui_sign sam sampass12 "confirmed"
tui_wait_status 100 ".batch.current == null and .batch.recent[0].id == \"$id2\" and
    .batch.recent[0].state == \"aborted\"" ||
    tui_fail "$id2 is not aborted: $(jq -c .batch "$TUI_DIR/st.json")"
tui_wait_text 30 "No batch running" || tui_fail "the screen still shows $id2"
tui_capture | grep -F "$id2" | grep -qF "aborted" ||
    tui_fail "the recent batches do not list $id2 as aborted"
tui_pass "$id2: F12 the abort dialog; a wrong second password refused (still running), then aborted by olga and sam"

# --- a maintenance window that starts now -------------------------------
tui_keys m
tui_wait_text 30 "Announce a maintenance window" || tui_fail "m opens no form"
tui_capture | grep -qF "Start (UTC):" || tui_fail "the form has no start field"
tui_check_width 80 || tui_fail "the form is wider than 80 columns"
tui_keys Enter
tui_wait_text 30 "Reason: required" || tui_fail "a blank reason is not refused"
tui_keys Up Up C-u
tui_keys -l "$(date -u '+%Y-%m-%d %H:%M')"
tui_keys Down C-u
tui_keys -l "1"
tui_keys Down
tui_keys -l "pump seal exchange"
tui_keys Enter
tui_wait_text 30 "First signature (4-eyes)" || tui_fail "the form opens no 4-eyes dialog"
sign_expect "announce a maintenance window" "pump seal exchange" "UTC"
tui_sign sam sampass12 "seal worn"
tui_wait_text 30 "Second signature (4-eyes)" || tui_fail "no second signature for the window"
tui_sign quinn quinnpass1 "approved"
tui_wait_text 100 "MAINTENANCE until" || tui_fail "no maintenance banner"
# The banner is cut at 80 columns: its reason is checked in status.
tui_wait_status 50 '.maintenance.phase == "active" and
    .maintenance.window.reason == "pump seal exchange"' ||
    tui_fail "status has no window: $(jq -c .maintenance "$TUI_DIR/st.json")"
tui_wait_status 50 '.batch.start_refused != null' ||
    tui_fail "status does not refuse a start: $(jq -c .batch "$TUI_DIR/st.json")"
refusal=$(jq -r .batch.start_refused "$TUI_DIR/st.json")
tui_wait_text 30 "$(printf '%s' "$refusal" | cut -c1-40)" ||
    tui_fail "the screen does not say why a start is refused: $refusal"
tui_keybar | grep -qF "Start" && tui_fail "the bar offers Start in maintenance: $(tui_keybar)"
tui_keys s
tui_wait_bar 30 "refused" || tui_fail "s in maintenance says nothing: $(tui_keybar)"
tui_capture | grep -qF "Electronic signature" && tui_fail "s in maintenance opened a dialog"
sleep 1
[ "$(tui_status_value '.batch.current')" = null ] || tui_fail "a batch started in maintenance"
tui_check_width 80 || tui_fail "the screen in maintenance is wider than 80 columns"
tui_pass "m: a window from now signed by sam and quinn; banner shown, a start refused"

# --- help, quit, the trail ----------------------------------------------
tui_keys F1
tui_wait_text 30 "Keys of the batch screen" || tui_fail "F1 shows no batch keys"
for text in "F8, s" "F11, t" "F12, x" "q, F10"; do
    tui_capture | grep -qF -- "$text" || tui_fail "F1 does not list '$text'"
done
tui_capture | grep -qF "F10, t" && tui_fail "F1 still lists F10 as Stop"
tui_check_width 80 || tui_fail "the batch screen's help is wider than 80 columns"
tui_keys Escape
sleep 0.3
tui_keys q
tui_wait_text 30 "Quit the console?" || tui_fail "q does not ask to quit"
tui_keys y
n=50
while tui_alive; do
    n=$((n - 1))
    [ $n -gt 0 ] || tui_fail "the console is still running 5 s after y"
    sleep 0.1
done
rc=$(cat "$TUI_DIR/rc" 2>/dev/null)
[ "$rc" = 0 ] || tui_fail "console exit status '$rc' (want 0): $(cat "$TUI_DIR/console.err")"
"$JOPE" -c "$TUI_CFG" --state-dir "$TUI_STATE" audit verify >"$TUI_DIR/verify.out" 2>&1 ||
    tui_fail "audit verify after the session: $(cat "$TUI_DIR/verify.out")"
tui_pass "F1 lists the commands; quit; audit verify: $(head -n 1 "$TUI_DIR/verify.out")"
exit 0
