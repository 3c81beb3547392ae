#!/bin/sh
# test_console.sh: the console end to end in English, in a tmux terminal.
#
# Starts the simulator on ports 15200..15299 and the console against it in a
# 100x30 tmux window, then checks what an operator sees: the header and the
# status bar, a live value for every demo device, values that change, the
# quit confirmation (n keeps the console, y ends it with status 0), aligned
# columns, and a resize to 80x24 that leaves no line too long.
TUI_NAME=console
TUI_PORT_BASE=15200
. "$(dirname "$0")/tui_lib.sh"

tui_config
tui_start_sim
tui_start_console LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=

tui_wait_text 100 "Device / point" || tui_fail "no device table within 10 s"
screen=$(tui_capture)
for text in "Jope.SMB Console" "Jope Demo Plant" "Line" "State" "Value" \
    "Inference:" "Historian: local store only" "Disk free:" "Operator:" \
    "F1" "Help" "F10" "Quit"; do
    printf '%s\n' "$screen" | grep -qF -- "$text" ||
        tui_fail "the screen does not show '$text'"
done
tui_pass "header, table head, status bar and function keys"

tui_wait_values 150 || tui_fail "not every device shows a value within 15 s"
tui_pass "every demo device shows live values"

tui_capture | tui_point_values | cut -f2 >"$TUI_DIR/v1"
n=30
while :; do
    sleep 0.5
    tui_capture | tui_point_values | cut -f2 >"$TUI_DIR/v2"
    cmp -s "$TUI_DIR/v1" "$TUI_DIR/v2" || break
    n=$((n - 5))
    [ $n -gt 0 ] || tui_fail "values did not change in 3 s"
done
tui_pass "values update"

tui_check_screen 100 || tui_fail "misaligned table at 100x30"
tui_pass "columns aligned at 100x30"

tui_keys q
tui_wait_text 30 "Quit the console?" || tui_fail "q does not ask to quit"
tui_keys n
sleep 0.5
tui_alive || tui_fail "n ended the console"
screen=$(tui_capture)
printf '%s\n' "$screen" | grep -qF "Quit the console?" &&
    tui_fail "the dialog is still open after n"
printf '%s\n' "$screen" | grep -qF "Device / point" ||
    tui_fail "the table is gone after n"
tui_pass "q asks, n keeps the console"

tui_keys F1
tui_wait_text 30 "Move the selection" || tui_fail "F1 shows no help"
tui_keys Escape
sleep 0.3
tui_capture | grep -qF "Move the selection" && tui_fail "help stays open"
tui_pass "F1 help opens and closes"

# R reloads: a broken devices.json is rejected and said so, the console and
# its values stay; the good one is applied again.
cp "$TUI_CFG/devices.json" "$TUI_DIR/devices.good"
printf '{"connectors": [' >"$TUI_CFG/devices.json"
tui_keys R
tui_wait_text 50 "Configuration rejected" || tui_fail "R on a broken config shows no rejection"
tui_capture | grep -qF "Device / point" || tui_fail "the table is gone after a rejected reload"
cp "$TUI_DIR/devices.good" "$TUI_CFG/devices.json"
tui_keys R
tui_wait_text 50 "Configuration reloaded" || tui_fail "R on a good config shows no reload"
tui_pass "R reloads: broken config rejected, good one applied"

tmux -L "$TUI_SOCK" resize-window -x 80 -y 24 >/dev/null 2>&1 ||
    tui_fail "tmux cannot resize the window"
sleep 1
screen=$(tui_capture)
printf '%s\n' "$screen" | sed -n 2p | grep -qF "Device / point" ||
    tui_fail "table head not on line 2 after resize"
printf '%s\n' "$screen" | sed -n 2p | grep -qF "State" ||
    tui_fail "table head incomplete after resize"
tui_check_screen 80 || tui_fail "garbage after resizing to 80x24"
tui_pass "resize to 80x24"

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
tui_pass "q then y quits with status 0"
exit 0
