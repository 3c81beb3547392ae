#!/bin/sh
# test_historian_kill.sh: `jope-smb run` killed with SIGKILL at random
# moments, 20 times, while it collects from the simulator and uploads a
# backlog to a real PostgreSQL.
#
# Kills land anywhere: inside a spool transaction, between the historian's
# COMMIT and the spool's delete, in the middle of a COPY.  Afterwards one
# clean run drains the rest, and the historian must hold every sample and
# error record the spool ever acknowledged (seq 1..highest), none twice.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/pg_lib.sh"
. "$top_srcdir/tests/historian_lib.sh"
need jq
need sqlite3

pg_start 15973
CFG="$T/config"
ST="$T/state"
SPOOL="$ST/spool.db"
# Small batches: many upload transactions, many places for a kill to land.
hist_config "$top_srcdir/config/demo" "$CFG" 870 "$PG_CONNINFO" \
    '.historian.batch_rows = 20'
"$JOPE" -c "$CFG" db migrate >/dev/null 2>&1 || fail "db migrate"
start_sim "$CFG"

RUN_PID=""
kill_engine() { [ -z "$RUN_PID" ] || kill -9 "$RUN_PID" 2>/dev/null; }
CLEANUPS="$CLEANUPS kill_engine"

# A first run makes the spool; before each run a backlog is added so that
# every run is uploading when the kill comes.
"$JOPE" run -c "$CFG" --state-dir "$ST" --duration 1 2>>"$T/run.err" ||
    fail "first run"

i=0
while [ $i -lt 20 ]; do
    hist_prefill "$SPOOL" 10000
    "$JOPE" run -c "$CFG" --state-dir "$ST" 2>>"$T/run.err" &
    RUN_PID=$!
    # 0.3 .. 1.5 s: after the spool opened, often mid-upload.
    ms=$((300 + $(od -An -N2 -tu2 /dev/urandom) % 1200))
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    kill -9 "$RUN_PID"
    wait "$RUN_PID" 2>/dev/null
    RUN_PID=""
    i=$((i + 1))
done
uploaded=$(pg_psql "SELECT count(*) FROM samples")
echo "# after 20 kills: $uploaded samples in the historian, $(spool_waiting "$SPOOL") waiting"
[ "$uploaded" -gt 0 ] || fail "nothing was uploaded between the kills"
pass "20 kills with SIGKILL while collecting and uploading"

# One clean run drains the rest.
"$JOPE" run -c "$CFG" --state-dir "$ST" 2>>"$T/run.err" &
RUN_PID=$!
wait_until 300 spool_empty "$SPOOL" || fail "no drain after the kills: $(spool_waiting "$SPOOL") left"
kill -TERM "$RUN_PID"; wait "$RUN_PID" 2>/dev/null; RUN_PID=""
# Every start after a kill inside an upload finds its mark and clears it.
mid=$(grep -c '"event":"spool_marks_cleared"' "$ST/jope-smb.log")
echo "# $mid of 20 kills landed inside an upload transaction;" \
    "$(grep -c '"event":"upload_recovered"' "$ST/jope-smb.log") after its COMMIT"
[ "$mid" -ge 1 ] || fail "no kill landed inside an upload: the test proved nothing"
hist_check "$SPOOL"
pass "every acknowledged record in the historian exactly once"
