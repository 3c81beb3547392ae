#!/bin/sh
# test_console_trends.sh: the Trends screen (F6) and the inference link as
# the operator sees them, in an 80x24 tmux terminal.
#
# The demo plant with its ports moved by 1100 (Modbus 16120..16125, the
# simulator's inference server on 16126), a spectrum read every second,
# heartbeat 500 ms, timeout 500 ms and a p95 target of 1 s (slack for the
# sanitizer builds), the simulator's faults switched
# through its control file.  Checked:
#   1. F6 shows the Trends screen: the latest spectrum as a braille chart
#      (U+2800..U+28FF), one row per output of the model file with a
#      sparkline (U+2581..U+2588); the status bar says "Inference: up";
#   2. p re-predicts the latest spectrum, and the function-key bar shows
#      the result ("... re-predicted: api_r ...");
#   3. inference:drop (the host takes requests and never answers): the
#      status bar says "Inference: down" within 10 s; p then reports
#      "re-predict failed"; and the UI does not wait on the dead host:
#      F3 and F6, three times each, each redraw within 1 s;
#   4. the fault cleared: "Inference: up" again (degraded first);
#   5. the status bar's inference item, at 80 columns, with its p95:
#      "Inference: up p95 N.N ms".
# Strings relied on (ui/app.c, ui/screen_trends.c, src/inference/client.c):
# "Device / point" (the device table's head), "Link: " and "Output" (the
# Trends screen's link line and table head), "p Re-predict" (the key bar),
# "Inference: up", "Inference: degraded", "Inference: down", "Inference: up
# p95 N.N ms", "re-predicted:", "re-predict failed".
TUI_NAME=console_trends
TUI_PORT_BASE=16120
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tui_lib.sh"
# lib.sh's helpers (copy_config, start_sim) in tui_lib.sh's directory, with
# its EXIT trap (tui_cleanup) and its way of failing.
rm -rf "$T"
T=$TUI_DIR
fail() { tui_fail "$@"; }
command -v jq >/dev/null 2>&1 || skip "jq is not installed"
command -v perl >/dev/null 2>&1 || skip "perl is not installed"
date +%s%N | grep -q '^[0-9]*$' || skip "date +%N is not supported"

DEVICES_MARK="Device / point"
TRENDS_MARK="Link: "
OFF=1100
copy_config "$top_srcdir/config/demo" "$TUI_CFG" $OFF
mkdir -p "$TUI_STATE"
jq '.inference += {"timeout_ms": 500, "heartbeat_ms": 500, "target_p95_ms": 1000}' \
    "$TUI_CFG/app.json" >"$T/app.new" && mv "$T/app.new" "$TUI_CFG/app.json" ||
    tui_fail "cannot set the inference timings"
jq '.events |= map(if .id == "read-spectrum" then .period_ms = 1000 else . end)' \
    "$TUI_CFG/devices.json" >"$T/devices.new" &&
    mv "$T/devices.new" "$TUI_CFG/devices.json" ||
    tui_fail "cannot set the spectrum period"
[ "$(jq -r .inference.endpoint "$TUI_CFG/app.json")" = "tcp://127.0.0.1:$((15026 + OFF))" ] ||
    tui_fail "the inference endpoint did not move to port $((15026 + OFF))"
OUTPUTS=$(jq -r '.outputs[].name' "$TUI_CFG/inference-model.json")
[ -n "$OUTPUTS" ] || tui_fail "no outputs in inference-model.json"

: >"$T/control"
start_sim "$TUI_CFG" --control "$T/control"
TUI_SIM_PID=$SIM_PID
ln -s sim.out "$T/sim.log"
TUI_COLS=80 TUI_LINES=24 tui_start_console TERM=xterm-256color \
    LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=
tui_wait_text 100 "Jope.SMB" || tui_fail "no console within 10 s"
tui_keys F3     # it opens on the Overview (F2)

now_ms() { date +%s%3N; }

# The status bar: the line that names the inference link, outside the
# Trends screen's own link line.
status_line() {
    tui_capture | grep -F "Inference:" | tail -n 1
}

# wait_status TENTHS ERE: until the status bar matches ERE.
wait_status() {
    n=$1
    while [ "$n" -gt 0 ]; do
        status_line | grep -qE -- "$2" && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

# count_chars FIRST LAST: characters U+FIRST..U+LAST (hex) on stdin.
count_chars() {
    perl -CSD -ne "\$n += () = /[\\x{$1}-\\x{$2}]/g; END { print \$n + 0 }"
}

# switch_ms KEY MARK: press KEY; ms is then the milliseconds until the
# screen showed MARK (polled every 20 ms; more than 3 s fails the test).
switch_ms() {
    t0=$(now_ms)
    tui_keys "$1"
    n=150
    until tui_capture | grep -qF -- "$2"; do
        n=$((n - 1))
        [ $n -gt 0 ] || tui_fail "$1 did not show '$2' within 3 s while the host is down"
        sleep 0.02
    done
    ms=$(($(now_ms) - t0))
}

started=$(now_ms)
tui_wait_text 100 "$DEVICES_MARK" || tui_fail "no device table within 10 s"
tui_capture | grep -qF -- "$TRENDS_MARK" &&
    tui_fail "the device table shows '$TRENDS_MARK': no way to tell the screens apart"

# --- 1. the Trends screen -------------------------------------------------
tui_keys F6
tui_wait_text 30 "$TRENDS_MARK" || tui_fail "F6 does not show the Trends screen"
tui_capture | grep -qF -- "$DEVICES_MARK" && tui_fail "F6 left the device table on the screen"
tui_capture | grep -qF "Output" || tui_fail "the Trends screen shows no output table"
# A chart and a sparkline on every output's row once predictions come.
n=150
while :; do
    screen=$(tui_capture)
    # The chart: the lines above the output table's head.
    braille=$(printf '%s\n' "$screen" | sed '/^ *Output .*│/,$d' |
        count_chars 2800 28FF)
    missing=""
    for o in $OUTPUTS; do
        row=$(printf '%s\n' "$screen" | grep -E "^ *$o " | head -n 1)
        [ -n "$row" ] && [ "$(printf '%s\n' "$row" | count_chars 2581 2588)" -gt 0 ] ||
            missing="$missing $o"
    done
    [ "$braille" -ge 20 ] && [ -z "$missing" ] && break
    n=$((n - 1))
    [ $n -gt 0 ] || tui_fail "after 15 s: $braille braille characters, outputs without a sparkline:$missing"
    sleep 0.1
done
tui_pass "F6: the spectrum as $braille braille characters, a sparkline for each output ($(echo $OUTPUTS))"

wait_status 100 "Inference: up" ||
    tui_fail "the status bar does not say 'Inference: up' within 10 s: $(status_line)"
tui_pass "status bar: $(status_line | grep -oE 'Inference: up[^A-Z]*' | sed 's/  *$//')"

# --- 2. p re-predicts -----------------------------------------------------
tui_keybar | grep -qF "p Re-predict" || tui_fail "the key bar offers no 'p Re-predict' on the Trends screen"
tui_keys p
tui_wait_bar 50 "re-predicted:" || tui_fail "p shows no re-predicted result within 5 s: $(tui_keybar)"
first=$(printf '%s\n' "$OUTPUTS" | head -n 1)
tui_keybar | grep -qF -- "$first" || tui_fail "the re-predict result does not name $first: $(tui_keybar)"
tui_pass "p: $(tui_keybar | grep -oE '[^ ]* re-predicted:.*' | sed 's/  *$//')"

# --- 3. the host stops answering ------------------------------------------
printf 'inference:drop\n' >"$T/control"
kill -USR1 "$SIM_PID"
t0=$(now_ms)
wait_status 100 "Inference: down" || tui_fail "the status bar does not say 'Inference: down' within 10 s: $(status_line)"
tui_pass "inference:drop: the status bar says down after $(($(now_ms) - t0)) ms"

tui_keys p
tui_wait_bar 50 "re-predict failed" || tui_fail "p while down shows no failure within 5 s: $(tui_keybar)"
tui_pass "p while down: $(tui_keybar | grep -oE 're-predict failed.*' | sed 's/  *$//')"

worst=0
times=""
for i in 1 2 3; do
    status_line | grep -qF "Inference: down" ||
        tui_fail "the link is no longer down during the screen switches: $(status_line)"
    switch_ms F3 "$DEVICES_MARK"
    ms3=$ms
    tui_capture | grep -qF -- "$TRENDS_MARK" && tui_fail "F3 left the Trends screen on the screen"
    switch_ms F6 "$TRENDS_MARK"
    times="$times $ms3/$ms"
    for t in $ms3 $ms; do
        [ "$t" -gt "$worst" ] && worst=$t
    done
done
[ "$worst" -le 1000 ] || tui_fail "a screen switch took $worst ms while the host is down (F3/F6 ms:$times)"
tui_pass "UI responsive while the host is down: F3/F6 redraws in$times ms"

# --- 4. the host answers again --------------------------------------------
: >"$T/control"
kill -USR1 "$SIM_PID"
t0=$(now_ms)
saw=""
n=150
while :; do
    line=$(status_line)
    case $line in
    *"Inference: degraded"*) saw=" (degraded first)" ;;
    *"Inference: up"*) break ;;
    esac
    n=$((n - 1))
    [ $n -gt 0 ] || tui_fail "the status bar does not say 'Inference: up' 15 s after the fault was cleared: $line"
    sleep 0.1
done
tui_pass "fault cleared: up again after $(($(now_ms) - t0)) ms$saw"

# --- 5. the p95 in the status bar, at 80 columns --------------------------
# Last, so that everything above is checked whatever comes of it.
wait_status 50 "Inference: up p95 [0-9]+[.][0-9] ms" ||
    tui_fail "at 80x24 the status bar does not say 'Inference: up p95 N.N ms': $(status_line)"
tui_pass "status bar at 80x24: $(status_line | grep -oE 'Inference: up p95 [0-9.]+ ms')"

tui_keys q
tui_wait_text 30 "Quit the console?" || tui_fail "q does not ask to quit"
tui_keys y
n=50
while tui_alive; do
    n=$((n - 1))
    [ $n -gt 0 ] || tui_fail "the console is still running 5 s after y"
    sleep 0.1
done
rc=$(cat "$T/rc" 2>/dev/null)
[ "$rc" = 0 ] || tui_fail "console exit status '$rc' (want 0): $(cat "$T/console.err")"
tui_pass "q, y: exit status 0, $(($(now_ms) - started)) ms after the console started"
exit 0
