#!/bin/sh
# test_console_terminals.sh: the console on every terminal type the plant
# uses, through resizes, a SIGWINCH storm, a second console, and a closed
# terminal.
#
# The demo plant on ports 17020..17026 (TUI_PORT_BASE 17000), the console
# in an 80x24 tmux window.  For each TERM of xterm-256color, screen,
# tmux-256color (tmux when that has no terminfo entry), linux and vt100 (a
# TERM without a terminfo entry here is skipped, saying why, and never
# counted as a pass):
#   - the console starts and shows every screen, F1 (help) to F7, each
#     key sent as the bytes that TERM's terminfo gives for it (tput kfN:
#     what a terminal of that type sends), with the function-key bar on
#     the last line and the status bar above it;
#   - tmux resize-window to 120x40, then back to 80x24: the screen is laid
#     out again for the new size (40 or 24 lines with the bars at the
#     bottom, the header's clock at the right edge, the device table's
#     head as wide as the window, columns aligned);
#   - a SIGWINCH storm: 200 kill -WINCH in a tight loop with 10 resizes
#     among them; the console stays alive, F5 and F3 still switch screens,
#     and it draws correctly at 80x24 afterwards;
#   - q, y: exit status 0.
# Then, on one state dir:
#   - a second `jope-smb console` is refused, exit status non-zero, with a
#     message naming the running one ("console pid N"); `jope-smb status`
#     works alongside and says the console is running;
#   - kill -HUP: the console exits on its own (not killed by the signal),
#     the log has engine_stop, the audit trail console_stop with its pid,
#     the spool's samples only grew, and the last published state is the
#     final one (its pid, its sample count, written after the signal);
#   - a new console starts on the same state dir (no stale lock) with every
#     sample still there; then its tmux window is killed, so that the
#     terminal really closes (the kernel's hangup and tmux's SIGHUP both
#     arrive): the same checks; and a third console starts, every sample
#     still there, and quits with status 0.
TUI_NAME=console-terminals
TUI_PORT_BASE=17000
TUI_COLS=80
TUI_LINES=24
. "$(dirname "$0")/tui_lib.sh"

command -v infocmp >/dev/null 2>&1 || { echo "SKIP: infocmp is not installed" >&2; exit 77; }
command -v tput >/dev/null 2>&1 || { echo "SKIP: tput is not installed" >&2; exit 77; }
command -v sqlite3 >/dev/null 2>&1 || { echo "SKIP: sqlite3 is not installed" >&2; exit 77; }

tui_config
tui_start_sim
SPOOL="$TUI_STATE/spool.db"
LOG="$TUI_STATE/jope-smb.log"
PASSED=0
SKIPPED=""

# term_key TERM N: press function key N as a terminal of type TERM sends it.
term_key() {
    seq=$(tput -T"$1" "kf$2" 2>/dev/null) || tui_fail "TERM=$1 has no kf$2"
    [ -n "$seq" ] || tui_fail "TERM=$1 has an empty kf$2"
    # shellcheck disable=SC2046
    tui_keys -H $(printf '%s' "$seq" | od -An -tx1)
}

# The console's pid, from the lock it holds ("console pid N").
console_pid() {
    sed -n 's/^console pid \([0-9][0-9]*\)$/\1/p' "$TUI_STATE/engine.lock" 2>/dev/null
}

# gone PID: the process has ended (a zombie waiting for its reaper counts).
gone() {
    [ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# wait_gone TENTHS PID
wait_gone() {
    n=$1
    while [ "$n" -gt 0 ]; do
        gone "$2" && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

samples() { sqlite3 -readonly "$SPOOL" 'SELECT count(*) FROM samples'; }
engine_stops() { grep -c '"event":"engine_stop"' "$LOG" 2>/dev/null || true; }

# start_console TERM: a console in a fresh tmux server, 80x24; waits for
# its bars and sets CPID.
start_console() {
    tmux -L "$TUI_SOCK" kill-server >/dev/null 2>&1 || true
    rm -f "$TUI_DIR/rc"
    old=$(console_pid)
    tui_start_console TERM="$1" LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=
    tui_wait_bar 100 "Quit" || tui_fail "TERM=$1: no function-key bar within 10 s"
    n=50
    CPID=$(console_pid)
    while [ -z "$CPID" ] || [ "$CPID" = "$old" ] || [ ! -d "/proc/$CPID" ]; do
        n=$((n - 1))
        [ $n -gt 0 ] || tui_fail "TERM=$1: engine.lock does not name the new console"
        sleep 0.1
        CPID=$(console_pid)
    done
}

# to_table TERM: the device table (the console opens on the Overview).
to_table() {
    term_key "$1" 3
    tui_wait_text 30 "Device / point" || tui_fail "TERM=$1: F3 shows no device table"
}

# layout_ok COLS LINES: the screen is laid out for COLS x LINES: that many
# lines, the function-key bar on the last, the status bar above it, the
# header's clock at the right edge, no line wider than COLS.
layout_ok() {
    tui_capture >"$TUI_DIR/scr"
    [ "$(wc -l <"$TUI_DIR/scr")" -eq "$2" ] || return 1
    tail -n 1 "$TUI_DIR/scr" | grep -q 'F1 .*Quit' || return 1
    tail -n 2 "$TUI_DIR/scr" | head -n 1 | grep -q 'Inference:' || return 1
    head -n 1 "$TUI_DIR/scr" | grep -q 'Jope\.SMB.*[0-9][0-9]:[0-9][0-9]:[0-9][0-9]$' ||
        return 1
    tui_width_report <"$TUI_DIR/scr" >"$TUI_DIR/w"
    awk -v max="$1" 'NR == 1 && $1 < max - 2 { bad = 1 } $1 > max { bad = 1 }
        END { exit bad }' "$TUI_DIR/w"
}

# wait_layout TENTHS COLS LINES
wait_layout() {
    n=$1
    while [ "$n" -gt 0 ]; do
        layout_ok "$2" "$3" && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

# screen_key TERM N TEXT: function key N shows TEXT, with the bars in place.
screen_key() {
    term_key "$1" "$2"
    tui_wait_text 30 "$3" || tui_fail "TERM=$1: F$2 does not show '$3'"
    wait_layout 20 80 24 || tui_fail "TERM=$1: F$2's screen is not laid out for 80x24"
}

resize() {
    tmux -L "$TUI_SOCK" resize-window -x "$1" -y "$2" >/dev/null 2>&1 ||
        tui_fail "tmux cannot resize to $1x$2"
}

one_term() {
    t=$1
    start_console "$t"
    tui_pass "TERM=$t: the console starts at 80x24"

    screen_key "$t" 2 "Lines and devices:"
    screen_key "$t" 3 "Device / point"
    screen_key "$t" 4 "No batch running"
    screen_key "$t" 5 "Alarm list:"
    screen_key "$t" 6 "Link:"
    screen_key "$t" 7 "Chain:"
    term_key "$t" 1
    tui_wait_text 30 "Press any key to close." || tui_fail "TERM=$t: F1 shows no help"
    tui_keys Escape
    screen_key "$t" 3 "Device / point"
    tui_capture | grep -qF "Press any key to close." && tui_fail "TERM=$t: the help did not close"
    tui_pass "TERM=$t: F1 to F7 show their screens, the bars at the bottom"

    resize 120 40
    wait_layout 30 120 40 || tui_fail "TERM=$t: not redrawn for 120x40"
    # The table head (line 2) takes the new width, not the old 80 columns.
    tui_capture | sed -n 2p | tui_width_report | awk '{ exit !($1 > 100) }' ||
        tui_fail "TERM=$t: the table did not widen at 120x40"
    tui_check_screen 120 || tui_fail "TERM=$t: misaligned at 120x40"
    resize 80 24
    wait_layout 30 80 24 || tui_fail "TERM=$t: not redrawn back at 80x24"
    tui_check_screen 80 || tui_fail "TERM=$t: misaligned back at 80x24"
    tui_pass "TERM=$t: redrawn for 120x40 and back for 80x24"

    i=0
    while [ $i -lt 200 ]; do
        kill -WINCH "$CPID" 2>/dev/null || tui_fail "TERM=$t: the console died in the SIGWINCH storm"
        i=$((i + 1))
        if [ $((i % 20)) -eq 0 ]; then
            if [ $((i % 40)) -eq 0 ]; then resize 80 24; else resize 100 30; fi
        fi
    done
    resize 80 24
    tui_alive || tui_fail "TERM=$t: the console ended after the SIGWINCH storm"
    screen_key "$t" 5 "Alarm list:"
    screen_key "$t" 3 "Device / point"
    tui_check_screen 80 || tui_fail "TERM=$t: misaligned after the SIGWINCH storm"
    tui_pass "TERM=$t: alive and responsive after 200 SIGWINCH and 10 resizes"

    tui_keys q
    tui_wait_text 30 "Quit the console?" || tui_fail "TERM=$t: q does not ask to quit"
    tui_keys y
    n=100
    while [ ! -f "$TUI_DIR/rc" ]; do
        n=$((n - 1))
        [ $n -gt 0 ] || tui_fail "TERM=$t: the console did not end within 10 s of y"
        sleep 0.1
    done
    [ "$(cat "$TUI_DIR/rc")" = 0 ] ||
        tui_fail "TERM=$t: exit status $(cat "$TUI_DIR/rc") after q, y"
    grep -q '"event":"engine_stop"' "$LOG" || tui_fail "TERM=$t: no engine_stop in the log"
    tui_pass "TERM=$t: q, y quits with status 0"
    PASSED=$((PASSED + 1))
}

tmux_term=tmux-256color
infocmp "$tmux_term" >/dev/null 2>&1 || tmux_term=tmux
for t in xterm-256color screen "$tmux_term" linux vt100; do
    if ! why=$(infocmp "$t" 2>&1 >/dev/null); then
        echo "SKIP TERM=$t: infocmp $t fails: ${why:-no terminfo entry}"
        SKIPPED="$SKIPPED $t"
        continue
    fi
    one_term "$t"
done
[ "$PASSED" -gt 0 ] || { echo "SKIP: no terminal type has a terminfo entry" >&2; exit 77; }

# --- one console per state dir -------------------------------------------
start_console screen
to_table screen
tui_wait_values 150 || tui_fail "no values within 15 s"
tmux -L "$TUI_SOCK" new-window -d "env TERM=screen '$JOPE' console -c '$TUI_CFG' \
    --state-dir '$TUI_STATE' 2>'$TUI_DIR/second.out'; echo \$? >'$TUI_DIR/second.rc'" ||
    tui_fail "cannot open a second tmux window"
n=100
while [ ! -s "$TUI_DIR/second.rc" ]; do
    n=$((n - 1))
    [ $n -gt 0 ] || tui_fail "the second console neither ran nor ended within 10 s"
    sleep 0.1
done
rc2=$(cat "$TUI_DIR/second.rc")
[ "$rc2" != 0 ] || tui_fail "a second console on the same state dir exited 0"
grep -qF "console pid $CPID" "$TUI_DIR/second.out" ||
    tui_fail "the refusal does not name 'console pid $CPID': $(cat "$TUI_DIR/second.out")"
tui_alive || tui_fail "the first console ended"
[ "$(console_pid)" = "$CPID" ] || tui_fail "engine.lock no longer names the first console"
tui_pass "a second console is refused (status $rc2): $(cat "$TUI_DIR/second.out")"

"$JOPE" -c "$TUI_CFG" --state-dir "$TUI_STATE" status >"$TUI_DIR/status.out" 2>&1 ||
    tui_fail "status alongside the console: exit $? $(cat "$TUI_DIR/status.out")"
grep -qF "running (console, pid $CPID)" "$TUI_DIR/status.out" ||
    tui_fail "status does not say the console runs: $(cat "$TUI_DIR/status.out")"
tui_pass "status works alongside the console and says it is running"

# --- the terminal goes away ----------------------------------------------
# check_stopped HOW PID BEFORE STOPS SINCE_US: after the console PID went
# away, with BEFORE samples in the spool and STOPS engine_stop lines in the
# log before, at SINCE_US (microseconds since the epoch).
check_stopped() {
    [ "$(engine_stops)" -gt "$4" ] || tui_fail "$1: no new engine_stop in the log"
    n=$(sqlite3 -readonly "$SPOOL" "SELECT count(*) FROM audit_log WHERE
        kind = 'console_stop' AND json_extract(payload, '\$.pid') = $2")
    [ "$n" = 1 ] || tui_fail "$1: $n console_stop events of pid $2 in the audit trail"
    after=$(samples)
    [ "$after" -ge "$3" ] || tui_fail "$1: the spool lost samples ($3 -> $after)"
    sqlite3 -readonly "$SPOOL" "SELECT pid, ts_us,
        json_extract(json, '\$.spool.samples') FROM console_state" |
        tr '|' ' ' >"$TUI_DIR/pub"
    read -r ppid pts psamples <"$TUI_DIR/pub" || tui_fail "$1: no published state"
    [ "$ppid" = "$2" ] || tui_fail "$1: the published state is pid $ppid's, not $2's"
    [ "$pts" -ge "$5" ] || tui_fail "$1: the last state was published before the signal"
    [ "$psamples" = "$after" ] ||
        tui_fail "$1: the published state counts $psamples samples, the spool has $after"
    tui_pass "$1: engine_stop logged, console_stop audited, samples $3 -> $after, final state saved"
}

# wait_samples_grow TENTHS FROM: until the spool has more samples than FROM
wait_samples_grow() {
    n=$1
    while [ "$n" -gt 0 ]; do
        [ "$(samples)" -gt "$2" ] && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

before=$(samples)
[ "$before" -gt 0 ] || tui_fail "no samples in the spool"
stops=$(engine_stops)
since=$(date +%s%6N)
kill -HUP "$CPID"
wait_gone 100 "$CPID" || tui_fail "SIGHUP: the console still runs after 10 s"
n=30
while [ ! -f "$TUI_DIR/rc" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
rc=$(cat "$TUI_DIR/rc" 2>/dev/null)
[ -n "$rc" ] && [ "$rc" -lt 128 ] ||
    tui_fail "SIGHUP: the console did not exit on its own (status '$rc')"
tui_pass "SIGHUP: the console exits (status $rc)"
check_stopped "SIGHUP" "$CPID" "$before" "$stops" "$since"
"$JOPE" -c "$TUI_CFG" --state-dir "$TUI_STATE" status >"$TUI_DIR/status.out" 2>&1
rc=$?
[ $rc = 3 ] || tui_fail "status after SIGHUP: exit $rc, not 3: $(cat "$TUI_DIR/status.out")"

prev=$(samples)
start_console tmux-256color
to_table tmux-256color
tui_wait_values 150 || tui_fail "no values within 15 s after the restart"
[ "$(samples)" -ge "$prev" ] || tui_fail "samples lost across the restart"
wait_samples_grow 50 "$prev" || tui_fail "the restarted console collects nothing"
tui_pass "a new console starts on the same state dir (no stale lock), nothing lost"

before=$(samples)
stops=$(engine_stops)
since=$(date +%s%6N)
tmux -L "$TUI_SOCK" kill-window >/dev/null 2>&1 || tui_fail "cannot kill the tmux window"
wait_gone 100 "$CPID" || tui_fail "closed terminal: the console still runs after 10 s"
tui_pass "closed terminal (tmux window killed): the console exits"
check_stopped "closed terminal" "$CPID" "$before" "$stops" "$since"

prev=$(samples)
start_console screen
to_table screen
tui_wait_values 150 || tui_fail "no values within 15 s after the second restart"
[ "$(samples)" -ge "$prev" ] || tui_fail "samples lost across the second restart"
tui_keys q
tui_wait_text 30 "Quit the console?" || tui_fail "q does not ask to quit"
tui_keys y
n=100
while [ ! -f "$TUI_DIR/rc" ]; do
    n=$((n - 1))
    [ $n -gt 0 ] || tui_fail "the last console did not end within 10 s"
    sleep 0.1
done
[ "$(cat "$TUI_DIR/rc")" = 0 ] || tui_fail "the last console exited $(cat "$TUI_DIR/rc")"
[ "$(samples)" -ge "$prev" ] || tui_fail "samples lost"
tui_pass "a third console starts after the closed terminal, every sample kept, quits with 0"

if [ -n "$SKIPPED" ]; then
    echo "terminal types skipped (no terminfo entry):$SKIPPED; passed: $PASSED"
fi
exit 0
