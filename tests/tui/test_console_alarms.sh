#!/bin/sh
# test_console_alarms.sh: an alarm raised by the simulator's values, seen
# and acknowledged in the console.
#
# The demo plant on ports 16620..16626 (TUI_PORT_BASE 16600) at 100x30,
# with PT-303's H limit at 12 bar: its square wave never goes below 13, so
# the alarm is active a second after the first value.  Checked:
#   - the header counts the unacknowledged alarm on the devices screen,
#     and F5 lists PT-303/H as unacknowledged with its value and limit;
#   - `a` opens the e-signature dialog for "acknowledge an alarm" naming
#     the alarm; olga (operator) signs; the row shows "acked" by olga and
#     the header count goes down; the acknowledgement is in the audit trail
#     with olga as actor, after the signed action;
#   - `a` again on the acknowledged alarm opens no dialog and says so;
#   - the screen never gets wider than the window.
TUI_NAME=console-alarms
TUI_PORT_BASE=16600
TUI_COLS=100
TUI_LINES=30
. "$(dirname "$0")/tui_lib.sh"

tui_config
tui_config_alarm_limit
jq '.compliance = {"kdf": "interactive"}' "$TUI_CFG/app.json" >"$TUI_DIR/a.json" &&
    mv "$TUI_DIR/a.json" "$TUI_CFG/app.json" || tui_fail "cannot write app.json"
tui_check_config
tui_user olga operator olgapass1 "Olga Operator"

tui_start_sim
tui_start_console LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=
tui_wait_text 100 "Jope.SMB" || tui_fail "no console within 10 s"
tui_keys F3     # it opens on the Overview (F2)
tui_wait_text 100 "Device / point" || tui_fail "no device table within 10 s"
tui_wait_text 150 "Alarms: 1 unack" ||
    tui_fail "the header does not count the alarm"
tui_pass "the header counts the unacknowledged alarm on the devices screen"

tui_keys F5
tui_wait_text 30 "Alarm list:" || tui_fail "F5 shows no alarm list"
tui_wait_text 30 "PT-303" || tui_fail "PT-303 is not in the alarm list"
row=$(tui_capture | grep -F "PT-303" | head -n 1)
for text in unack " H " "12"; do
    printf '%s\n' "$row" | grep -qF -- "$text" ||
        tui_fail "the PT-303 row lacks '$text': $row"
done
tui_check_width 100 || tui_fail "the alarm list is wider than the window"
tui_pass "F5 lists PT-303/H unacknowledged with its level and limit"

tui_keys Home a
tui_wait_text 30 "Electronic signature" || tui_fail "a opens no signature dialog"
screen=$(tui_capture)
for text in "acknowledge an alarm" "PT-303/H" "User id:" "Password:"; do
    printf '%s\n' "$screen" | grep -qF -- "$text" ||
        tui_fail "the dialog does not show '$text'"
done
tui_keys Up Up Up C-u
tui_keys -l olga
tui_keys Tab
tui_keys -l olgapass1
tui_keys Tab Tab
tui_keys -l "seen, operator informed"
tui_keys Enter
acked_by_olga() { tui_capture | grep -F "PT-303" | grep -F "acknowledged" | grep -qF olga; }
n=50
until acked_by_olga; do
    n=$((n - 1)); [ $n -gt 0 ] || tui_fail "the row does not show olga's acknowledgement"
    sleep 0.1
done
tui_wait_text 30 "Alarms: 0" || tui_fail "the header count did not go down"
trail() { sqlite3 -readonly "$TUI_STATE/spool.db" "$1"; }
[ "$(trail "SELECT actor FROM audit_log WHERE kind = 'alarm_acked'
    AND json_extract(payload, '\$.alarm') = 'PT-303/H'")" = olga ] ||
    tui_fail "the acknowledgement is not in the audit trail as olga's"
[ "$(trail "SELECT count(*) FROM audit_log WHERE kind = 'alarm_ack'")" -ge 1 ] ||
    tui_fail "the signed action is not in the audit trail"
tui_pass "a, olga signs: acknowledged by olga, header count down, audited"

tui_keys Home a
tui_wait_text 30 "already acknowledged" ||
    tui_fail "a on an acknowledged alarm does not say so"
tui_capture | grep -qF "Electronic signature" &&
    tui_fail "a on an acknowledged alarm opened a dialog"
tui_pass "a on an acknowledged alarm: no dialog, a clear message"
