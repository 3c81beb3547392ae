#!/bin/sh
# test_console_sign.sh: a 4-eyes setpoint write through both e-signature
# dialogs, and the audit screen, in a tmux terminal.
#
# The test's app.json wants two signatures for write_setpoint (operator or
# supervisor first, supervisor or QA second) and cheap Argon2id.  Users are
# made with `jope-smb user add` before the console starts: olga (operator)
# and sam (supervisor), signed by the bootstrap admin.  Then, on ports
# 16420..16426 at 120x35:
#   - w on FIC-101.SP, a value, y: the first dialog shows the action and
#     old -> new; olga signs (her password never appears, only bullets);
#   - the second dialog refuses olga on the spot; sam signs; the value is
#     written and read back into the table;
#   - F7 shows the write_setpoint event; Enter shows both signatures'
#     manifestations and the chain intact; / filters by kind;
#   - a wrong password in the second dialog: nothing written, the reason
#     shown, login_failed on F7;
#   - Esc in the first dialog: signature_cancelled on F7;
#   - c signs a clock set with one signature (the default policy);
#   - `jope-smb status` works while the console runs.
TUI_NAME=console-sign
TUI_PORT_BASE=16400
TUI_COLS=120
TUI_LINES=35
. "$(dirname "$0")/tui_lib.sh"

SETPOINT=FIC-101.SP
tui_config
grep -q "\"id\": *\"$SETPOINT\"" "$TUI_CFG/devices.json" ||
    tui_fail "the demo config has no writable point $SETPOINT"
# app.json: the demo's, with the 4-eyes rule and cheap Argon2id.
sed '$d' "$TUI_CFG/app.json" >"$TUI_DIR/app.json" &&
    cat >>"$TUI_DIR/app.json" <<'JSON' &&
	,
	"signatures": {"write_setpoint": {"signatures": 2,
	    "first": ["operator", "supervisor"],
	    "second": ["supervisor", "qa"]}},
	"compliance": {"kdf": "interactive"}
}
JSON
    mv "$TUI_DIR/app.json" "$TUI_CFG/app.json" || tui_fail "cannot write app.json"
tui_check_config
tui_user olga operator olgapass1 "Olga Operator"
tui_user sam supervisor sampass12 "Sam Supervisor"
tui_pass "users olga (operator) and sam (supervisor) added"

tui_start_sim
tui_start_console LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=
tui_wait_text 100 "Jope.SMB" || tui_fail "no console within 10 s"
tui_keys F3     # it opens on the Overview (F2)
tui_wait_text 100 "Device / point" || tui_fail "no device table within 10 s"
tui_wait_values 150 || tui_fail "not every device shows a value within 15 s"

# tui_open_write VALUE: w on the setpoint, VALUE, Enter, y: the first
# e-signature dialog.
tui_open_write() {
    tui_select "$SETPOINT"
    tui_keys w
    tui_wait_text 30 "Write setpoint $SETPOINT" || tui_fail "w opens no input dialog"
    tui_keys -l "$1"
    tui_keys Enter
    tui_wait_text 30 "Write $1 " || tui_fail "no confirmation of $1"
    tui_keys y
    tui_wait_text 30 "First signature (4-eyes)" ||
        tui_fail "y does not open the first e-signature dialog"
}

# tui_value: the setpoint's value cell.
tui_value() {
    tui_capture | tui_row_value "$SETPOINT"
}

# --- the write, signed by olga and sam ---------------------------------
old=$(tui_value)
tui_open_write 25.5
screen=$(tui_capture)
for text in "write a setpoint" "$SETPOINT" "→ 25.5 mL/min" "User id:" \
    "Password:" "Meaning:" "Reason:" "performed"; do
    printf '%s\n' "$screen" | grep -qF -- "$text" ||
        tui_fail "the first dialog does not show '$text'"
done
tui_check_width 120 || tui_fail "the dialog is wider than the window"
tui_keys Up Up Up C-u
tui_keys -l olga
tui_keys Tab
tui_keys -l olgapass1
sleep 0.3
tui_capture | grep -qF "olgapass1" && tui_fail "the password is shown"
tui_capture | grep -qF "•••••••••" || tui_fail "the password shows no bullets"
tui_keys Tab Tab
tui_keys -l "batch 42 flow"
tui_keys Enter
tui_wait_text 30 "Second signature (4-eyes)" ||
    tui_fail "Enter does not open the second dialog"
tui_capture | grep -qF "olga (performed)" ||
    tui_fail "the second dialog does not show the first signer"
tui_pass "first dialog: action, old → new, password as bullets; olga signs"

tui_keys -l olga
tui_keys Tab
tui_wait_text 30 "olga already signed first" ||
    tui_fail "the second dialog takes olga again"
tui_keys Enter
sleep 0.3
tui_capture | grep -qF "Second signature (4-eyes)" ||
    tui_fail "Enter with olga again closed the second dialog"
tui_pass "the second dialog refuses the first signer on the spot"

tui_keys C-u
tui_keys -l sam
tui_keys Tab
tui_keys -l sampass12
tui_keys Tab
tui_capture | grep -qF "approved" || tui_fail "the second meaning is not 'approved'"
tui_keys Tab
tui_keys -l "4-eyes check"
tui_keys Enter
# The engine reports the signatures, then the executor the write.
n=100
until tui_keybar | grep -qE "signed by olga, sam|$SETPOINT: .* written"; do
    n=$((n - 1))
    [ $n -gt 0 ] || tui_fail "no report of the signatures or the write within 10 s"
    sleep 0.1
done
n=80
while :; do
    v=$(tui_value)
    case $v in
    25.5|25.5[0\ ]*) break ;;
    esac
    n=$((n - 1))
    [ $n -gt 0 ] || tui_fail "$SETPOINT shows '$v' (was '$old'), not 25.5, after the signatures"
    sleep 0.1
done
tui_pass "sam signs second: $SETPOINT written, the table shows $v"

# --- the audit screen -------------------------------------------------
tui_keys F7
# The kind column, not a login's "for=write_setpoint" summary.
tui_wait_text 50 "│ write_setpoint" || tui_fail "F7 shows no write_setpoint event"
tui_wait_text 50 "Chain: intact" || tui_fail "the audit screen shows no intact chain"
screen=$(tui_capture)
printf '%s\n' "$screen" | grep -qF "signed: olga (performed), sam" ||
    tui_fail "the event's summary does not name both signers"
tui_keybar | grep -qF "/ Filter" || tui_fail "the key bar offers no '/ Filter'"
tui_keybar | grep -qF "F3 Devices" || tui_fail "the key bar offers no 'F3 Devices'"
tui_check_width 120 || tui_fail "the audit screen is wider than the window"
tui_keys F1
tui_wait_text 30 "Filter: kind:WORD user:WORD" || tui_fail "F1 on the audit screen lists no filter key"
tui_keys Escape
sleep 0.3
tui_keys Home Enter
tui_wait_text 30 "Olga Operator (olga) — performed — " ||
    tui_fail "the detail shows no manifestation of olga's signature"
screen=$(tui_capture)
printf '%s\n' "$screen" | grep -qF "reason: batch 42 flow" ||
    tui_fail "the detail shows no reason of olga's signature"
printf '%s\n' "$screen" | grep -qF "Sam Supervisor (sam) — approved — " ||
    tui_fail "the detail shows no manifestation of sam's signature"
printf '%s\n' "$screen" | grep -qF "Chain: intact" ||
    tui_fail "the detail shows no state of the chain"
tui_keys Escape
sleep 0.3
tui_capture | grep -qF "Sam Supervisor (sam)" && tui_fail "Esc does not close the detail"
tui_pass "F7: write_setpoint with both manifestations, chain intact"

tui_keys /
tui_keys -l "kind:user_add"
tui_keys Enter
tui_wait_text 30 "Filter: kind:user_add — 3 of" ||
    tui_fail "the kind filter does not keep the 3 user_add events"
tui_capture | grep -qF "write_setpoint" && tui_fail "the filter keeps write_setpoint"
tui_keys /
tui_keys C-u
tui_keys -l "user:sam"
tui_keys Enter
tui_wait_text 30 "Filter: user:sam" || tui_fail "no user filter"
tui_capture | grep -qF "│ write_setpoint" || tui_fail "user:sam does not keep the event sam signed"
tui_keys Escape
tui_keys F3
tui_wait_text 30 "Device / point" || tui_fail "F3 does not go back to the devices"
tui_pass "filters by kind and by user; F3 goes back"

# --- a wrong password in the second dialog ----------------------------
tui_open_write 26
tui_sign olga olgapass1 "second try"
tui_wait_text 30 "Second signature (4-eyes)" || tui_fail "no second dialog"
tui_sign sam wrongpassword "4-eyes check"
tui_wait_text 100 "unknown user or wrong password" ||
    tui_fail "a wrong password shows no reason"
tui_capture | grep -qF "Not signed" || tui_fail "no 'Not signed' box"
tui_keys Escape
sleep 1.5
v=$(tui_value)
case $v in
25.5|25.5[0\ ]*) ;;
*) tui_fail "$SETPOINT shows '$v' after a refused signature" ;;
esac
tui_keys F7
tui_wait_text 50 "login_failed" || tui_fail "F7 shows no login_failed event"
tui_capture | grep -F "login_failed" | grep -qF "sam" ||
    tui_fail "the login_failed event does not name sam"
tui_keys F3
tui_pass "wrong password: nothing written, the reason shown, login_failed audited"

# --- Esc in the first dialog -------------------------------------------
tui_open_write 27
tui_keys Escape
tui_wait_bar 30 "Signature cancelled" || tui_fail "Esc does not say it cancelled"
tui_capture | grep -qF "First signature" && tui_fail "Esc does not close the dialog"
tui_keys F7
tui_wait_text 50 "signature_cancelled" || tui_fail "F7 shows no signature_cancelled event"
tui_keys F3
tui_pass "Esc in the first dialog: cancelled and audited"

# --- c: one signature by the default policy ----------------------------
set -- $TUI_DEVICES
tui_select "$1"
tui_keys c
tui_wait_text 30 "Electronic signature" || tui_fail "c opens no e-signature dialog"
tui_capture | grep -qF "set a device clock" || tui_fail "the dialog does not name the clock"
tui_sign olga olgapass1 "daylight saving"
tui_wait_bar 100 "clock set" || tui_fail "the clock of $1 was not set after the signature"
tui_pass "c: one signature, clock of $1 set"

# --- status alongside ----------------------------------------------------
"$JOPE" status -c "$TUI_CFG" --state-dir "$TUI_STATE" >"$TUI_DIR/status.out" 2>&1 ||
    tui_fail "jope-smb status fails while the console runs: $(cat "$TUI_DIR/status.out")"
set -- $TUI_DEVICES
grep -q "$1" "$TUI_DIR/status.out" ||
    tui_fail "status does not list $1: $(cat "$TUI_DIR/status.out")"
tui_pass "jope-smb status works alongside"

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
grep -qF "olgapass1" "$TUI_STATE/jope-smb.log" && tui_fail "a password is in the log"
"$JOPE" -c "$TUI_CFG" --state-dir "$TUI_STATE" audit verify >"$TUI_DIR/verify.out" 2>&1 ||
    tui_fail "audit verify after the session: $(cat "$TUI_DIR/verify.out")"
tui_pass "quit; no password in the log; audit verify: $(head -n 1 "$TUI_DIR/verify.out")"
exit 0
