#!/bin/sh
# test_console.sh: the console end to end in English, in a tmux terminal.
#
# Starts the simulator on ports 15200..15299 and the console against it in a
# 100x30 tmux window, then checks what an operator sees: the header and the
# status bar, a live value for every demo device, values that change, the
# quit confirmation (n keeps the console, y ends it with status 0), aligned
# columns, and a resize to 80x24 that leaves no line too long.  Then the
# device actions: p shows a device's read plan, c sets a device's clock
# once signed in the e-signature dialog (and says so when the device has
# none), w writes a setpoint after a strictly parsed value, a y and a
# signature, and the function-key bar offers only the keys that work on the
# selected row.  The signer, olga (operator), is added with `jope-smb user
# add` before the console starts; the demo's policy wants one signature for
# both actions.  (test_console_sign.sh goes through the 4-eyes dialogs.)  The second demo device loses its
# clock_address in the test's copy of the config, for the "no clock" case.
# The table is a tree: a row per line (connector) with its kind and
# address and its devices counted connected, its devices indented under
# it, their points under them; r on a line row only names its devices;
# Left/Right, Enter and -/+ collapse and expand a line and a device; and a
# filter keeps the line and device above what it shows (opening them).
TUI_NAME=console
TUI_PORT_BASE=15200
. "$(dirname "$0")/tui_lib.sh"

tui_config
set -- $TUI_DEVICES
TUI_FIRST=$1 TUI_SECOND=$2
[ -n "$TUI_SECOND" ] || tui_fail "the demo config needs two devices"
grep -q "\"id\": *\"$TUI_FIRST\".*\"clock_address\"" "$TUI_CFG/devices.json" ||
    tui_fail "demo device $TUI_FIRST has no clock_address"
sed "/\"id\": *\"$TUI_SECOND\"/s/, *\"clock_address\": *[0-9]*//" \
    "$TUI_CFG/devices.json" >"$TUI_DIR/devices.json" &&
    mv "$TUI_DIR/devices.json" "$TUI_CFG/devices.json" ||
    tui_fail "cannot remove the clock of $TUI_SECOND"
SETPOINT=FIC-101.SP
grep -q "\"id\": *\"$SETPOINT\"" "$TUI_CFG/devices.json" ||
    tui_fail "the demo config has no writable point $SETPOINT"
tui_user olga operator olgapass1 "Olga Operator"
tui_start_sim
tui_start_console LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=

tui_wait_text 100 "Jope.SMB" || tui_fail "no console within 10 s"
tui_keys F3     # it opens on the Overview (F2)
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
tui_capture | grep -qF "Collapse / expand a line or device" ||
    tui_fail "F1 does not say how to collapse and expand the tree"
tui_keys Escape
sleep 0.3
tui_capture | grep -qF "Move the selection" && tui_fail "help stays open"
tui_pass "F1 help opens and closes"

# The tree: a row per line (connector) with its kind and address, its
# devices indented under it, their points under them.
LINE=$(jq -r --arg d "$TUI_FIRST" '.devices[] | select(.id == $d) |
    .connector' "$TUI_CFG/devices.json")
ADDR=$(jq -r --arg l "$LINE" '.connectors[] | select(.id == $l) |
    "\(.host):\(.port)"' "$TUI_CFG/devices.json")
jq -r '.devices[] | "\(.id) \(.connector)"' "$TUI_CFG/devices.json" \
    >"$TUI_DIR/devline"
# tree_rows: the first cells of the table rows under the head.
tree_rows() {
    tui_capture | awk -F'│' 'NF >= 5 && n++ { sub(/ +$/, "", $1); print $1 }'
}
tree_rows >"$TUI_DIR/rows"
awk 'NR == FNR { line_of[$1] = $2; next }
    /^ (▾|▸) / { split($0, w, " "); cur = w[2]; lines++; next }
    /^   (▾|▸) / {
        split($0, w, " "); devs++
        if (line_of[w[2]] != cur) { print "device " w[2] " under " cur; bad = 1 }
        next
    }
    /^       [^ ]/ { next }
    { print "not a line, device or point row: " $0; bad = 1 }
    END {
        if (lines < 2 || devs < 2) {
            print lines + 0 " line rows, " devs + 0 " device rows"; bad = 1
        }
        exit bad
    }' "$TUI_DIR/devline" "$TUI_DIR/rows" >"$TUI_DIR/tree.out" ||
    tui_fail "the tree is not lines, their devices, their points: $(cat "$TUI_DIR/tree.out")"
grep -A2 "^ ▾ $LINE TCP $ADDR\$" "$TUI_DIR/rows" >"$TUI_DIR/first" ||
    tui_fail "no line row '▾ $LINE TCP $ADDR'"
sed -n 2p "$TUI_DIR/first" | grep -q "^   ▾ $TUI_FIRST " ||
    tui_fail "$TUI_FIRST is not indented under $LINE"
sed -n 3p "$TUI_DIR/first" | grep -q "^       [^ ]" ||
    tui_fail "no point indented under $TUI_FIRST"
tui_capture | grep "^ ▾ $LINE " | grep -qF "1/1 connected" ||
    tui_fail "the row of $LINE does not count its devices connected"
tui_pass "lines with kind and address, their devices under them, points under those"

# Left collapses the line, Right expands it, Enter and -/+ do it too.
collapsed() {
    tree_rows >"$TUI_DIR/rows"
    grep -q "^ ▸ $LINE " "$TUI_DIR/rows" &&
        ! grep -q "^   . $TUI_FIRST " "$TUI_DIR/rows" &&
        ! grep -q "^       FT-101 " "$TUI_DIR/rows"
}
expanded() {
    tree_rows >"$TUI_DIR/rows"
    grep -q "^ ▾ $LINE " "$TUI_DIR/rows" &&
        grep -q "^   ▾ $TUI_FIRST " "$TUI_DIR/rows" &&
        grep -q "^       FT-101 " "$TUI_DIR/rows"
}
tree_rows >"$TUI_DIR/rows.all"
tui_keys Left
sleep 0.3
collapsed || tui_fail "Left does not collapse $LINE (its devices still shown)"
tui_keys Right
sleep 0.3
expanded || tui_fail "Right does not show the devices of $LINE again"
tui_keys Enter
sleep 0.3
collapsed || tui_fail "Enter does not collapse $LINE"
tui_keys Enter
sleep 0.3
expanded || tui_fail "Enter does not expand $LINE"
tui_keys -l -
sleep 0.3
collapsed || tui_fail "- does not collapse $LINE"
tui_keys -l +
sleep 0.3
expanded || tui_fail "+ does not expand $LINE"
tui_select "$TUI_FIRST"
tui_keys Left
sleep 0.3
tree_rows >"$TUI_DIR/rows"
grep -q "^   ▸ $TUI_FIRST " "$TUI_DIR/rows" && ! grep -q "^       FT-101 " "$TUI_DIR/rows" ||
    tui_fail "Left does not collapse the device $TUI_FIRST"
tui_keys Right
sleep 0.3
expanded || tui_fail "Right does not show the points of $TUI_FIRST again"
tui_pass "Left/Right, Enter and -/+ collapse and expand a line and a device"

# A filter keeps the parents of what it shows, and opens them.
tui_select "$LINE"
tui_keys Left
sleep 0.3
collapsed || tui_fail "Left does not collapse $LINE"
tui_keys /
tui_keys -l FT-101
tui_keys Enter
tui_wait_text 30 "Filter: FT-101 — 1 of " || tui_fail "the filter FT-101 is not applied"
tree_rows >"$TUI_DIR/rows"
[ "$(wc -l <"$TUI_DIR/rows")" -eq 3 ] ||
    tui_fail "FT-101 shows other rows than its line, device and itself: $(cat "$TUI_DIR/rows")"
grep -q "^ ▾ $LINE " "$TUI_DIR/rows" &&
    grep -q "^   ▾ $TUI_FIRST " "$TUI_DIR/rows" &&
    grep -q "^       FT-101 " "$TUI_DIR/rows" ||
    tui_fail "the filter FT-101 does not show $LINE and $TUI_FIRST above it"
tui_keys Escape
sleep 0.3
tree_rows >"$TUI_DIR/rows"
cmp -s "$TUI_DIR/rows" "$TUI_DIR/rows.all" ||
    tui_fail "Esc does not bring the whole tree back: $(diff "$TUI_DIR/rows.all" "$TUI_DIR/rows")"
tui_pass "the filter FT-101 shows $LINE > $TUI_FIRST > FT-101; Esc clears it"

# r on a line row reads nothing and says which device to choose (the
# message leaves the key bar after 5 s).
tui_select "$LINE"
tui_keybar | grep -qF "r Read" && tui_fail "the key bar offers 'r Read' on the line $LINE"
tui_keys r
tui_wait_bar 30 "Select a device of this line to read it now: $TUI_FIRST" ||
    tui_fail "r on the line $LINE does not say which device to select"
tui_wait_bar 70 "F1" "Select a device of this line" || tui_fail "the message stays"
tui_pass "r on a line row names its devices"

# p: the read plan of the first device, one Modbus request a line.
tui_select "$TUI_FIRST"
tui_keybar | grep -qF "p Plan" || tui_fail "the key bar offers no 'p Plan' on a device row"
tui_keys p
tui_wait_text 30 "Read plan — $TUI_FIRST" || tui_fail "p shows no read plan of $TUI_FIRST"
tui_capture | grep -q "_register [0-9]" || tui_fail "the read plan shows no '_register ' request"
tui_keys Escape
sleep 0.3
tui_capture | grep -qF "Read plan —" && tui_fail "Esc does not close the read plan"
tui_pass "p shows the read plan of $TUI_FIRST, Esc closes it"

# c: set the first device's clock once signed; the engine reports it.
tui_keybar | grep -qF "c Clock" || tui_fail "the key bar offers no 'c Clock' on $TUI_FIRST"
tui_keys c
tui_wait_text 30 "Electronic signature" ||
    tui_fail "c opens no e-signature dialog for the clock of $TUI_FIRST"
tui_capture | grep -qF "set a device clock" || tui_fail "the dialog does not name the clock"
tui_sign olga olgapass1 "clock drift"
tui_wait_bar 100 "clock set" "Signing" ||
    tui_fail "no report of the clock of $TUI_FIRST within 10 s (engine side of CMD_SET_CLOCK?)"
bar=$(tui_keybar)
printf '%s\n' "$bar" | grep -qiE "fail|error|refus|cannot|not set|timed? ?out" &&
    tui_fail "setting the clock failed: $bar"
tui_capture | grep -qF "Electronic signature" && tui_fail "the signature dialog is still open"
tui_pass "c, signed by olga, sets the clock of $TUI_FIRST: ${bar##*  }"

# c on a device without a clock only says so; the key bar does not offer it.
tui_select "$TUI_SECOND"
tui_keybar | grep -qF "c Clock" && tui_fail "the key bar offers 'c Clock' on $TUI_SECOND, which has none"
tui_keys c
tui_wait_bar 30 "$TUI_SECOND has no clock configured" ||
    tui_fail "c on $TUI_SECOND does not say it has no clock"
tui_capture | grep -qF "Set the clock of" && tui_fail "c on $TUI_SECOND asks anyway"
tui_pass "c on $TUI_SECOND: no clock configured"

# w on a point that is not writable only says so.
tui_select FT-101
tui_keybar | grep -qF "w Write" && tui_fail "the key bar offers 'w Write' on FT-101"
tui_keys w
tui_wait_bar 30 "FT-101 is not writable" || tui_fail "w on FT-101 does not say it is not writable"
tui_pass "w on a read-only point: not writable"

# w on the setpoint: bad values keep the dialog open with the reason, Esc
# cancels, a good value is confirmed with y, signed, and shows up in the
# table.
tui_select "$SETPOINT"
tui_keybar | grep -qF "w Write" || tui_fail "the key bar offers no 'w Write' on $SETPOINT"
tui_keys w
tui_wait_text 30 "Write setpoint $SETPOINT" || tui_fail "w on $SETPOINT opens no input dialog"
tui_capture | grep -qF "Current value:" || tui_fail "the input dialog shows no current value"
tui_keys Escape
sleep 0.3
tui_capture | grep -qF "Write setpoint" && tui_fail "Esc does not cancel the input dialog"
tui_keys w
tui_wait_text 30 "Write setpoint $SETPOINT" || tui_fail "w on $SETPOINT opens no input dialog"
tui_keys Enter
tui_wait_text 30 "Type a value first." || tui_fail "Enter on an empty field gives no reason"
tui_keys -l 1e999
tui_keys Enter
tui_wait_text 30 "finite number" || tui_fail "1e999 is not refused as not finite"
tui_keys BSpace BSpace BSpace BSpace BSpace
tui_keys -l 12.5-
tui_keys Enter
tui_wait_text 30 "Not a number" || tui_fail "12.5- is not refused"
tui_capture | grep -qF "Write setpoint $SETPOINT" || tui_fail "the input dialog closed on a bad value"
tui_keys BSpace Enter
tui_wait_text 30 "Write 12.5 " || tui_fail "Enter on 12.5 asks for no confirmation"
tui_capture | grep -qF "to $SETPOINT? [y/N]" || tui_fail "the confirmation does not name $SETPOINT"
tui_keys y
tui_wait_text 30 "Electronic signature" || tui_fail "y opens no e-signature dialog"
tui_sign olga olgapass1 "new setpoint"
tui_wait_bar 100 "$SETPOINT: " "Signing" ||
    tui_fail "no report of the write to $SETPOINT within 10 s (engine side of CMD_WRITE_POINT?)"
bar=$(tui_keybar)
printf '%s\n' "$bar" | grep -qiE "fail|error|refus|cannot|not written|timed? ?out" &&
    tui_fail "the write failed: $bar"
n=50
while :; do
    v=$(tui_capture | tui_row_value "$SETPOINT")
    case $v in
    12.5|12.5[0\ ]*) break ;;
    esac
    n=$((n - 1))
    [ $n -gt 0 ] || tui_fail "$SETPOINT shows '$v', not 12.5, 5 s after the write"
    sleep 0.1
done
tui_pass "w, 12.5, Enter, y, signature writes $SETPOINT: ${bar##*  }; the table shows $v"

# R re-reads the applied version (doc/change-control.md): an edited (here
# broken) devices.json is not taken into use and said so, the console and
# its values stay; with the config dir as applied, R says so too.
cp "$TUI_CFG/devices.json" "$TUI_DIR/devices.good"
printf '{"connectors": [' >"$TUI_CFG/devices.json"
tui_keys R
tui_wait_text 50 "differs from the applied version 1" || tui_fail "R on an edited config dir does not say it differs"
tui_capture | grep -qF "Device / point" || tui_fail "the table is gone after R"
cp "$TUI_DIR/devices.good" "$TUI_CFG/devices.json"
tui_keys R
tui_wait_text 50 "Configuration version 1 is in use" || tui_fail "R on the applied config says nothing"
tui_pass "R re-reads the applied version: an edited config dir is not used, and said so"

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
