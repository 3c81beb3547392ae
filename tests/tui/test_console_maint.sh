#!/bin/sh
# test_console_maint.sh: the maintenance banner of app.json's windows.
#
# The demo plant on ports 16720..16726 (TUI_PORT_BASE 16700) at 80x24.
# First a window that starts in an hour: every screen (devices, alarms,
# trends, audit) shows "Maintenance in 00:5x:xx" with its reason, the
# countdown goes down, and `status --json` says "announced".  Then (a
# second console on a fresh state dir) a window in progress: the banner
# says MAINTENANCE until its end, and status says "active".  (The exact
# 24-hour boundary is the unit test's: tests/unit/test_maintenance.c.)
TUI_NAME=console-maint
TUI_PORT_BASE=16700
TUI_COLS=80
TUI_LINES=24
. "$(dirname "$0")/tui_lib.sh"

iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
now=$(date +%s)
tui_config
jq --arg s "$(iso $((now + 3600)))" --arg e "$(iso $((now + 7200)))" \
    '.maintenance = [{"start": $s, "end": $e, "reason": "column repacking"}]' \
    "$TUI_CFG/app.json" >"$TUI_DIR/a.json" && mv "$TUI_DIR/a.json" "$TUI_CFG/app.json" ||
    tui_fail "cannot write app.json"
tui_check_config

tui_start_sim
tui_start_console LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=
tui_wait_text 100 "Jope.SMB" || tui_fail "no console within 10 s"
tui_keys F3     # it opens on the Overview (F2)
tui_wait_text 100 "Device / point" || tui_fail "no device table within 10 s"
tui_wait_text 50 "Maintenance in 00:5" || tui_fail "no banner for a window in an hour"
tui_capture | grep -qF "column repacking" || tui_fail "the banner lacks the reason"
first=$(tui_capture | grep -o "Maintenance in [0-9:]*" | head -n 1)
for key in F5 F6 F7 F3; do
    tui_keys "$key"
    sleep 0.5
    tui_capture | grep -qF "Maintenance in 00:5" ||
        tui_fail "no banner after $key"
done
tui_check_width 80 || tui_fail "a line is wider than the window"
sleep 1.5
second=$(tui_capture | grep -o "Maintenance in [0-9:]*" | head -n 1)
[ "$second" != "$first" ] || tui_fail "the countdown does not move: $first"
"$JOPE" status -c "$TUI_CFG" --state-dir "$TUI_STATE" --json >"$TUI_DIR/st.json" 2>/dev/null
jq -e '.maintenance.phase == "announced" and .maintenance.window.reason == "column repacking"' \
    "$TUI_DIR/st.json" >/dev/null || tui_fail "status: $(jq -c .maintenance "$TUI_DIR/st.json")"
tui_pass "a window in an hour: a banner with its countdown on every screen; status says announced"

tui_keys q
sleep 0.3
tui_keys y
n=50; while [ ! -f "$TUI_DIR/rc" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
[ -f "$TUI_DIR/rc" ] || tui_fail "the console did not quit"
tmux -L "$TUI_SOCK" kill-server >/dev/null 2>&1
rm -f "$TUI_DIR/rc"

# A window in progress, on a fresh state dir (an applied configuration
# cannot change without signatures).
TUI_STATE="$TUI_DIR/state2"
mkdir -p "$TUI_STATE"
jq --arg s "$(iso $((now - 600)))" --arg e "$(iso $((now + 3600)))" \
    '.maintenance = [{"start": $s, "end": $e, "reason": "valve overhaul"}]' \
    "$TUI_CFG/app.json" >"$TUI_DIR/a.json" && mv "$TUI_DIR/a.json" "$TUI_CFG/app.json"
tui_start_console LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=
tui_wait_text 100 "Jope.SMB" || tui_fail "no console within 10 s"
tui_keys F3     # it opens on the Overview (F2)
tui_wait_text 100 "MAINTENANCE until" || tui_fail "no banner for a window in progress"
tui_capture | grep -qF "valve overhaul" || tui_fail "the banner lacks the reason"
"$JOPE" status -c "$TUI_CFG" --state-dir "$TUI_STATE" --json >"$TUI_DIR/st.json" 2>/dev/null
jq -e '.maintenance.phase == "active"' "$TUI_DIR/st.json" >/dev/null ||
    tui_fail "status: $(jq -c .maintenance "$TUI_DIR/st.json")"
tui_pass "a window in progress: MAINTENANCE until its end; status says active"
