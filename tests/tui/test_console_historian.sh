#!/bin/sh
# test_console_historian.sh: what the operator sees of the historian.
#
# The console runs in tmux against the simulator and a real PostgreSQL 15
# cluster of the test's own, with 200,000 samples waiting in the spool as a
# long outage leaves them.  With the cluster stopped the status bar says the
# historian is down, why and when the next try is; when it comes back the
# status bar shows the drain's progress while live values keep updating; at
# the end the historian is up and the spool empty.
TUI_NAME=console_hist
TUI_PORT_BASE=15760
. "$(dirname "$0")/tui_lib.sh"
# pg_lib.sh and historian_lib.sh speak lib.sh's language: give it to them.
fail() { tui_fail "$@"; }
skip() { echo "SKIP: $*" >&2; exit 77; }
wait_until() {
    n=$1; shift
    while [ "$n" -gt 0 ]; do
        if "$@"; then return 0; fi
        sleep 0.1; n=$((n - 1))
    done
    "$@"
}
CLEANUPS=""
T="$TUI_DIR"
. "$top_srcdir/tests/pg_lib.sh"
. "$top_srcdir/tests/historian_lib.sh"
trap 'for c in $CLEANUPS; do eval "$c" >/dev/null 2>&1; done; tui_cleanup' EXIT
command -v jq >/dev/null 2>&1 || skip "jq is not installed"
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 is not installed"

pg_start 15976
tui_config
jq --arg ci "$PG_CONNINFO" --arg pf "$TUI_DIR/pgpass" \
    '.historian = {conninfo: $ci, password_file: $pf, retry_min_s: 0.5,
                   retry_max_s: 1, timeout_s: 5, batch_rows: 500}' \
    "$TUI_CFG/app.json" >"$TUI_DIR/app.json" && mv "$TUI_DIR/app.json" "$TUI_CFG/app.json"
umask 077; printf '%s\n' "$PG_PASSWORD" >"$TUI_DIR/pgpass"; umask 022
"$JOPE" -c "$TUI_CFG" db migrate >/dev/null 2>&1 || tui_fail "db migrate"
pg_stop
tui_start_sim
"$JOPE" run -c "$TUI_CFG" --state-dir "$TUI_STATE" --duration 1 2>/dev/null ||
    tui_fail "first run"
hist_prefill "$TUI_STATE/spool.db" 200000

tui_start_console LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=
tui_wait_text 100 "Jope.SMB" || tui_fail "no console within 10 s"
tui_keys F3     # it opens on the Overview (F2)
# Wide enough for every status item in its long form.
tmux -L "$TUI_SOCK" resize-window -x 160 -y 30 >/dev/null 2>&1 ||
    tui_fail "cannot resize the tmux window"
tui_wait_text 150 "Historian: down, retry in" || tui_fail "the status bar does not say the historian is down"
tui_wait_text 100 " rows waiting, oldest " || tui_fail "no backlog with its age"
tui_capture | grep -q "Spool: [0-9]* rows waiting, oldest" || tui_fail "no backlog count"
tui_pass "historian down: the status bar says so, the next try, and the backlog with its age"

pg_start_again
tui_wait_text 200 "Historian: draining" || tui_fail "no drain progress after the historian came back"
first=$(tui_capture | grep -o "draining [0-9]*%" | head -1)
tui_wait_values 100 || tui_fail "live values stopped during the drain"
tui_pass "historian back: the drain shows its progress ($first) while values update"

tui_wait_text 600 "Historian: up" || tui_fail "the drain did not end"
wait_until 100 spool_empty "$TUI_STATE/spool.db" || tui_fail "the spool is not empty"
tui_pass "drain finished: historian up, spool empty"
tui_keys q; sleep 0.3; tui_keys y
