#!/bin/sh
# test_console_overview.sh: the Overview (F2), the screen the console opens
# on, and the themes, in a tmux terminal of 80x24.
#
# The demo plant on ports 16920..16926 (TUI_PORT_BASE 16900), with fast
# executor timers (guard 1 s, HardError after 2 failed connects, for
# 120 s) and PT-303's H limit at 12 bar, so an alarm is active a second
# after the first value.  olga (operator) signs the batch start.  Checked:
#   - the console opens on the Overview, and the grid shows every demo
#     device as connected ("C" and its id), as status --json says;
#   - a batch started on F4 (signed) shows on the Overview with its id,
#     state and progress as status --json has them, and so do the alarm
#     counts (unacknowledged, active);
#   - Enter on a cell opens the device table on that device (p then shows
#     that device's read plan);
#   - T cycles dark -> light -> mono -> dark, redrawing at once and naming
#     the theme in the bar: dark and light send different escapes, mono
#     no colour at all;
#   - the simulator stopped, every cell turns to HardError ("E", red, its
#     time left) within 30 s, as status --json says;
#   - no line is wider than 80 columns;
#   - TERM=vt100 (no colours) starts in mono whatever app.json says, and T
#     stays there and says why.
TUI_NAME=console-overview
TUI_PORT_BASE=16900
TUI_COLS=80
TUI_LINES=24
. "$(dirname "$0")/tui_lib.sh"

tui_config
tui_config_alarm_limit
jq '.compliance = {"kdf": "interactive"} | .theme = "dark" |
    .executor = {"guard_s": 1, "retries": 2, "hard_error_s": 120}' \
    "$TUI_CFG/app.json" >"$TUI_DIR/a.json" &&
    mv "$TUI_DIR/a.json" "$TUI_CFG/app.json" || tui_fail "cannot write app.json"
tui_check_config
tui_user olga operator olgapass1 "Olga Operator"

# status may exit non-zero here; what it writes is what counts.
TUI_STATUS_ANY_EXIT=1
# The screen with its escape sequences.
capture_e() {
    tmux -L "$TUI_SOCK" capture-pane -e -p >"$TUI_DIR/last.e" 2>/dev/null
    cat "$TUI_DIR/last.e"
}
# The SGR sequences of the screen, one a line, sorted.
sgr_set() {
    capture_e | grep -o "$(printf '\033')\[[0-9;]*m" | sort -u
}
# The colour parameters the screen uses (none: a monochrome screen); 39
# and 49 (the terminal's default colours) are not colours.
colour_params() {
    capture_e | grep -o "$(printf '\033')\[[0-9;]*m" |
        sed 's/^.\[//; s/m$//' | tr ';' '\n' |
        grep -E '^(3[0-8]|4[0-8]|9[0-7]|10[0-7])$' | sort -u
}
# attr_params: the attributes the screen uses (bold, dim, underline,
# reverse).
attr_params() {
    capture_e | grep -o "$(printf '\033')\[[0-9;]*m" |
        sed 's/^.\[//; s/m$//' | tr ';' '\n' | grep -E '^[1247]$' | sort -u
}
# cell_shown LETTER DEVICE SCREEN: SCREEN shows DEVICE's cell with LETTER.
cell_shown() {
    printf '%s\n' "$3" | grep -qE "(^| )$1!? +$2( |\$)"
}

tui_start_sim
tui_start_console LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=

# --- opens on the Overview ------------------------------------------------
tui_wait_text 100 "Lines and devices:" || tui_fail "the console does not open on the Overview"
tui_capture | grep -qF "Device / point" && tui_fail "the device table is shown at start"
for text in "Batch" "Alarms" "Historian" "Inference" "Spool" "C Connected"; do
    tui_capture | grep -qF -- "$text" || tui_fail "the Overview does not show '$text'"
done
tui_keybar | grep -qF "F3 Devices" || tui_fail "the bar offers no 'F3 Devices': $(tui_keybar)"
tui_pass "the console opens on the Overview"

n=150
while :; do
    screen=$(tui_capture)
    missing=""
    for d in $TUI_DEVICES; do
        cell_shown C "$d" "$screen" || missing="$missing $d"
    done
    [ -z "$missing" ] && break
    n=$((n - 2))
    [ $n -gt 0 ] || tui_fail "not every device shown connected within 15 s:$missing"
    sleep 0.2
done
# status reads what the engine last published to the spool: a moment late.
tui_wait_status 100 '[.devices[].state] | all(. == "connected")' ||
    tui_fail "status does not say every device is connected: $(jq -c '[.devices[].state]' "$TUI_DIR/st.json")"
tui_check_width 80 || tui_fail "the Overview is wider than 80 columns"
tui_pass "the grid shows every demo device connected:$(echo " $TUI_DEVICES" | tr '\n' ' ')"

# --- batch and alarms agree with status ----------------------------------
tui_keys F4
tui_wait_text 30 "No batch running" || tui_fail "F4 shows no batch screen"
tui_wait_bar 50 "F8/s Start" || tui_fail "no 'F8/s Start' in the bar: $(tui_keybar)"
tui_keys s
tui_wait_text 30 "Electronic signature" || tui_fail "s opens no signature dialog"
tui_sign olga olgapass1 "overview test"
tui_wait_status 100 '.batch.current.state == "running"' ||
    tui_fail "the batch does not run: $(jq -c .batch "$TUI_DIR/st.json")"
tui_keys F2
tui_wait_text 30 "Lines and devices:" || tui_fail "F2 does not show the Overview"
id=$(tui_status_value .batch.current.id)
n=50
while :; do
    line=$(tui_capture | grep -E "^ Batch +")
    printf '%s\n' "$line" | grep -qF -- "$id" &&
        printf '%s\n' "$line" | grep -qE "  running  [0-9]+%" && break
    n=$((n - 1))
    [ $n -gt 0 ] || tui_fail "the Overview's batch line is '$line', status has $id running"
    sleep 0.1
done
pct=$(printf '%s\n' "$line" | sed -n 's/.*  running  \([0-9]*\)%.*/\1/p')
want=$(tui_status_value '(.batch.current.progress.fraction * 100 + 0.5) | floor')
[ $((pct - want)) -le 2 ] && [ $((want - pct)) -le 2 ] ||
    tui_fail "the Overview shows $pct%, status $want%"
tui_pass "batch: $id running, $pct% (status: $want%)"

tui_wait_status 150 '.alarms.unacked >= 1' || tui_fail "no alarm raised in status"
n=50
while :; do
    tui_status
    un=$(jq -r .alarms.unacked "$TUI_DIR/st.json")
    act=$(jq -r .alarms.active "$TUI_DIR/st.json")
    line=$(tui_capture | grep -E "^ Alarms +")
    printf '%s\n' "$line" | grep -qF "$un unacknowledged, $act active" && break
    n=$((n - 1))
    [ $n -gt 0 ] || tui_fail "the Overview's alarm line is '$line', status: $un unack, $act active"
    sleep 0.2
done
printf '%s\n' "$line" | grep -qE " P[0-9]+ [0-9]+/[0-9]+" ||
    tui_fail "the alarm line has no counts by priority: $line"
tui_pass "alarms: $un unacknowledged, $act active, as status says"

# --- Enter on a cell: that device on F3 ----------------------------------
set -- $TUI_DEVICES
second=$2
tui_keys Home Right
sleep 0.2
# (the bar leaves keys out while the batch's message shows)
tui_wait_bar 60 "Enter Device" || tui_fail "the bar offers no 'Enter Device': $(tui_keybar)"
tui_keys Enter
tui_wait_text 30 "Device / point" || tui_fail "Enter opens no device table"
tui_keys p
tui_wait_text 30 "Read plan — $second" ||
    tui_fail "Enter on $second's cell did not select $second on F3"
tui_keys Escape
tui_keys F2
tui_wait_text 30 "Lines and devices:" || tui_fail "F2 does not go back to the Overview"
tui_pass "Enter on $second's cell shows $second on the device table"

# --- themes ---------------------------------------------------------------
[ -n "$(colour_params)" ] || tui_fail "the dark theme sends no colour"
sgr_set >"$TUI_DIR/sgr.dark"
tui_keys T
tui_wait_bar 30 "Theme: light" || tui_fail "T does not say 'Theme: light': $(tui_keybar)"
sgr_set >"$TUI_DIR/sgr.light"
cmp -s "$TUI_DIR/sgr.dark" "$TUI_DIR/sgr.light" &&
    tui_fail "dark and light send the same escape sequences"
[ -n "$(colour_params)" ] || tui_fail "the light theme sends no colour"
tui_keys T
tui_wait_bar 30 "Theme: mono" || tui_fail "T does not say 'Theme: mono': $(tui_keybar)"
sleep 0.3
c=$(colour_params)
[ -z "$c" ] || tui_fail "the mono theme sends colours:" $c
[ "$(attr_params | wc -l)" -ge 3 ] ||
    tui_fail "the mono theme uses only these attributes:" $(attr_params)
tui_capture | grep -qE "(^| )C +$1( |\$)" || tui_fail "mono shows no state letters"
tui_keys T
tui_wait_bar 30 "Theme: dark" || tui_fail "T does not come back to 'Theme: dark': $(tui_keybar)"
[ -n "$(colour_params)" ] || tui_fail "back in dark, no colour"
tui_keys F1
tui_wait_text 30 "Keys of the overview" || tui_fail "F1 on the Overview shows no help"
for text in "Enter" "Next theme" "F3"; do
    tui_capture | grep -qF -- "$text" || tui_fail "the help lacks '$text'"
done
tui_check_width 80 || tui_fail "the help is wider than 80 columns"
tui_keys Escape
tui_pass "T: dark -> light -> mono (no colour) -> dark; F1 lists the keys"

# --- the simulator stops: HardError ---------------------------------------
kill "$TUI_SIM_PID" 2>/dev/null
wait "$TUI_SIM_PID" 2>/dev/null
TUI_SIM_PID=""
n=300
while :; do
    screen=$(tui_capture)
    missing=""
    for d in $TUI_DEVICES; do
        cell_shown E "$d" "$screen" || missing="$missing $d"
    done
    [ -z "$missing" ] && break
    n=$((n - 2))
    [ $n -gt 0 ] || tui_fail "not every cell in HardError 30 s after the simulator stopped:$missing"
    sleep 0.2
done
# The time left is the engine's timer, published every second.
n=30
while :; do
    screen=$(tui_capture)
    missing=""
    for d in $TUI_DEVICES; do
        printf '%s\n' "$screen" | grep -qE "(^| )E +$d +[0-9]+:[0-9][0-9]( |\$)" ||
            missing="$missing $d"
    done
    [ -z "$missing" ] && break
    n=$((n - 2))
    [ $n -gt 0 ] || tui_fail "no HardError time left on the cells of:$missing"
    sleep 0.2
done
tui_wait_status 50 '[.devices[].hard_error_until] | all(. != null)' ||
    tui_fail "status has no HardError end: $(jq -c '[.devices[].hard_error_until]' "$TUI_DIR/st.json")"
capture_e | grep -q "31mE" || tui_fail "the HardError cells are not red"
tui_wait_status 50 '[.devices[].state] | all(. == "hard_error")' ||
    tui_fail "status does not agree: $(jq -c '[.devices[].state]' "$TUI_DIR/st.json")"
tui_capture | grep -qE "^ Lines and devices: 0 connected, [0-9]+ in error" ||
    tui_fail "the head does not count the devices in error"
tui_check_width 80 || tui_fail "the Overview is wider than 80 columns"
tui_pass "simulator stopped: every cell shows E, red, with its time left"

tui_keys q
tui_wait_text 30 "Quit the console?" || tui_fail "q does not ask to quit"
tui_keys y
n=50
while tui_alive; do
    n=$((n - 1))
    [ $n -gt 0 ] || tui_fail "the console is still running 5 s after y"
    sleep 0.1
done

# --- a terminal without colours: mono -------------------------------------
tmux -L "$TUI_SOCK" kill-server >/dev/null 2>&1
rm -f "$TUI_DIR/rc"
tui_start_console TERM=vt100 LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=
tui_wait_text 100 "Lines and devices:" || tui_fail "no Overview with TERM=vt100"
sleep 0.5
c=$(colour_params)
[ -z "$c" ] || tui_fail "TERM=vt100 gets colours:" $c
tui_keys T
tui_wait_bar 30 "no colours" || tui_fail "T on vt100 does not say there are no colours: $(tui_keybar)"
c=$(colour_params)
[ -z "$c" ] || tui_fail "T on vt100 sends colours:" $c
tui_check_width 80 || tui_fail "the Overview is wider than 80 columns on vt100"
tui_pass "TERM=vt100 starts in mono (app.json says dark), T stays there"
exit 0
