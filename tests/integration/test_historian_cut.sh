#!/bin/sh
# test_historian_cut.sh: the connection cut right after COMMIT is sent.
#
# pgcut relays the console's connection to PostgreSQL and closes it the
# moment a COMMIT has gone through, three times: the server commits, the
# console never hears so.  On reconnect the console must find those records
# already committed (the high-water mark) and delete them from the spool
# instead of sending them again ("upload_recovered" in the log).
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/pg_lib.sh"
. "$top_srcdir/tests/historian_lib.sh"
need jq
need sqlite3

PGCUT="$top_builddir/tests/tools/pgcut"
[ -x "$PGCUT" ] || fail "tests/tools/pgcut not built"
pg_start 15974
CFG="$T/config"
ST="$T/state"
SPOOL="$ST/spool.db"
hist_config "$top_srcdir/config/demo" "$CFG" 880 \
    "host=127.0.0.1 port=15975 dbname=jope user=jope_console sslmode=disable" \
    '.historian.batch_rows = 3000'
# Migrate directly, not through the proxy (it would cut the migration).
hist_config "$top_srcdir/config/demo" "$T/direct" 880 "$PG_CONNINFO"
"$JOPE" -c "$T/direct" db migrate >/dev/null 2>&1 || fail "db migrate"

"$PGCUT" --listen 127.0.0.1:15975 --to "127.0.0.1:$PG_PORT" --cut 3 \
    --ready-file "$T/pgcut.ready" --log "$T/pgcut.log" 2>"$T/pgcut.err" &
PGCUT_PID=$!
stop_pgcut() { kill "$PGCUT_PID" 2>/dev/null; }
CLEANUPS="$CLEANUPS stop_pgcut"
wait_until 50 test -e "$T/pgcut.ready" || fail "pgcut did not start"

start_sim "$CFG"
# The first run only makes the spool: no historian, so no COMMIT is cut yet.
mkdir -p "$T/nohist" && cp "$CFG"/*.json "$T/nohist/" &&
    jq 'del(.historian)' "$CFG/app.json" >"$T/nohist/app.json" || fail "config"
"$JOPE" run -c "$T/nohist" --state-dir "$ST" --duration 1 2>>"$T/run.err" || fail "first run"
hist_prefill "$SPOOL" 30000
# The engine runs only applied versions (doc/change-control.md): the config
# with the historian is a new installation here, not a change.
rm -rf "$ST/config-versions"
"$JOPE" run -c "$CFG" --state-dir "$ST" 2>>"$T/run.err" &
RUN_PID=$!
kill_engine() { kill -9 "$RUN_PID" 2>/dev/null; }
CLEANUPS="$CLEANUPS kill_engine"
three_cuts() { [ "$(grep -c 'cut after COMMIT' "$T/pgcut.log" 2>/dev/null)" -ge 3 ]; }
wait_until 300 three_cuts || { grep historian "$ST/jope-smb.log" | tail -3; cat "$T/pgcut.err"; fail "pgcut did not cut three times"; }
wait_until 300 spool_empty "$SPOOL" || fail "no drain: $(spool_waiting "$SPOOL") left"
kill -TERM "$RUN_PID"; wait "$RUN_PID" 2>/dev/null
recovered=$(grep -c '"event":"upload_recovered"' "$ST/jope-smb.log")
[ "$recovered" -ge 3 ] || { grep upload_ "$ST/jope-smb.log" | tail; fail "$recovered recoveries after 3 lost acknowledgements (want 3)"; }
hist_check "$SPOOL"
pass "3 COMMITs whose acknowledgement was lost: recognised, nothing twice"
