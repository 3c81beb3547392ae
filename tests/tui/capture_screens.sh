#!/bin/sh
# capture_screens.sh: the text screenshots of doc/operator-guide.md.
#
#   tests/tui/capture_screens.sh [OUTDIR [GUIDE]]
#
# OUTDIR defaults to doc/screens and GUIDE then to doc/operator-guide.md;
# with an OUTDIR and no GUIDE no guide is touched.
#
# Not a test: it drives the real console in tmux at 80x24 (TERM=screen,
# so that the dialogs' frames come out as box-drawing characters rather
# than the VT100 line-drawing letters a capture shows for xterm), on the
# demo plant served by the simulator (ports 17220..17226, TUI_PORT_BASE
# 17200), and writes what capture-pane shows into OUTDIR/NAME.txt.  The
# demo is changed in two ways only: PT-303's high limit is 12 bar, so that
# an alarm is active to show, and the users ada (admin) and olga
# (operator) exist, so that a clock set and a batch start can be signed.
# A second console on a fresh state dir has a maintenance window starting
# in three hours, for the banner.  Every capture is exactly 24 lines of
# at most 80 columns.  Then the guide's blocks between
# "<!-- screen: NAME -->" and "<!-- /screen -->" are replaced with
# OUTDIR/NAME.txt in a ```text block, so run it again after a change to
# the screens and the guide shows them as they are.
TUI_NAME=capture
TUI_PORT_BASE=17200
TUI_COLS=80
TUI_LINES=24
. "$(dirname "$0")/tui_lib.sh"

if [ $# -gt 0 ]; then
    OUT=$1
    GUIDE=${2:-}
else
    OUT="$top_srcdir/doc/screens"
    GUIDE="$top_srcdir/doc/operator-guide.md"
fi
mkdir -p "$OUT" || tui_fail "cannot create $OUT"

tui_config
tui_config_alarm_limit
jq '.compliance = {"kdf": "interactive"}' "$TUI_CFG/app.json" >"$TUI_DIR/a.json" &&
    mv "$TUI_DIR/a.json" "$TUI_CFG/app.json" || tui_fail "cannot write app.json"
tui_user olga operator olgapass1 "Olga Operator"

# shot NAME: the screen as it is now, once it has settled.
shot() {
    sleep 0.6
    tui_capture >"$OUT/$1.txt"
    [ "$(wc -l <"$OUT/$1.txt")" -eq 24 ] || tui_fail "$1: not 24 lines"
    tui_check_width 80 || tui_fail "$1: wider than 80 columns"
    echo "wrote $OUT/$1.txt"
}

tui_start_sim
tui_start_console LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=
tui_wait_text 100 "Lines and devices" || tui_fail "no Overview within 10 s"
tui_keys F3
tui_wait_text 50 "Device / point" || tui_fail "no device table"
tui_wait_values 150 || tui_fail "not every device shows a value"
tui_wait_text 100 "Alarms: 1" || tui_fail "the PT-303 alarm did not come"
sleep 3     # the new alarm's highlight ends

tui_keys F2
tui_wait_text 30 "Lines and devices" || tui_fail "F2"
shot overview
tui_keys F3
tui_wait_text 30 "Device / point" || tui_fail "F3"
tui_select pumps            # a device row: the bar offers its keys
shot devices
tui_select pumps
tui_keys p
tui_wait_text 30 "Read plan" || tui_fail "p shows no read plan"
shot read-plan
tui_keys Escape
tui_select pumps
tui_keys c
tui_wait_text 30 "Electronic signature" || tui_fail "c opens no signature dialog"
tui_keys Up Up Up C-u        # tui_sign without its Enter
tui_keys -l olga
tui_keys Tab
tui_keys -l olgapass1
tui_keys Tab Tab
tui_keys -l "Monthly clock check"
shot sign
tui_keys Enter
tui_wait_bar 100 "clock" || tui_fail "no answer to the clock set"
shot clock-set
tui_keys F1
tui_wait_text 30 "Press any key to close." || tui_fail "F1"
shot help
tui_keys Escape

tui_keys F4
tui_wait_text 30 "No batch running" || tui_fail "F4"
tui_wait_bar 70 "F8/s Start" || tui_fail "no Start in the bar"     # the clock's message gone
shot batch
tui_keys s
tui_wait_text 30 "Electronic signature" || tui_fail "s opens no signature dialog"
tui_sign olga olgapass1 "Campaign 7"
tui_wait_text 100 "Elapsed" || tui_fail "the batch did not start"
tui_wait_bar 70 "F9/h Hold" || tui_fail "no Hold in the bar"
shot batch-running

tui_keys F5
tui_wait_text 30 "Alarm list:" || tui_fail "F5"
shot alarms
tui_keys F6
tui_wait_text 100 "predicted" || tui_fail "F6 shows no prediction"
shot trends
tui_keys F7
tui_wait_text 30 "Chain:" || tui_fail "F7"
shot audit
tui_keys q
tui_wait_text 30 "Quit the console?" || tui_fail "q"
shot quit
tui_keys y
n=100
while [ ! -f "$TUI_DIR/rc" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done

# The banner: a window in three hours, on a fresh state dir.
tmux -L "$TUI_SOCK" kill-server >/dev/null 2>&1 || true
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
now=$(date +%s)
jq --arg s "$(iso $((now + 3 * 3600)))" --arg e "$(iso $((now + 11 * 3600)))" \
    '.maintenance = [{"start": $s, "end": $e,
        "reason": "Column repacking, zones II and III"}]' \
    "$TUI_CFG/app.json" >"$TUI_DIR/a.json" && mv "$TUI_DIR/a.json" "$TUI_CFG/app.json" ||
    tui_fail "cannot write app.json"
rm -rf "$TUI_STATE"
mkdir -p "$TUI_STATE"
rm -f "$TUI_DIR/rc"
tui_start_console LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=
tui_wait_text 100 "Maintenance in" || tui_fail "no maintenance banner"
tui_keys F3
tui_wait_text 50 "Device / point" || tui_fail "F3"
tui_wait_values 150 || tui_fail "no values"
tui_keys Home
shot banner
tui_keys q
tui_wait_text 30 "Quit the console?" || tui_fail "q"
tui_keys y
n=100
while [ ! -f "$TUI_DIR/rc" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done

[ -n "$GUIDE" ] || exit 0
[ -f "$GUIDE" ] || tui_fail "no guide $GUIDE"
for name in $(sed -n 's/^<!-- screen: \([a-z0-9-]*\) -->$/\1/p' "$GUIDE"); do
    [ -f "$OUT/$name.txt" ] || tui_fail "$GUIDE wants $name, which was not captured"
done
awk -v dir="$OUT" '
    /^<!-- screen: [a-z0-9-]+ -->$/ {
        print
        f = dir "/" $3 ".txt"
        print "```text"
        while ((getline l < f) > 0) print l
        close(f)
        print "```"
        skip = 1
        next
    }
    /^<!-- \/screen -->$/ { skip = 0 }
    !skip { print }
' "$GUIDE" >"$TUI_DIR/guide.md" || tui_fail "cannot update $GUIDE"
cat "$TUI_DIR/guide.md" >"$GUIDE"
echo "updated the screens in $GUIDE"
exit 0
