#!/bin/sh
# test_spool_limits.sh: the spool's retention and a full spool, on a real run.
#
# Retention: records older than storage.retention_days are purged at start
# (and daily), counted, logged as a warning and shown by status.
# Full: with storage.max_mb the spool file cannot grow; when it is full the
# oldest records are dropped so that collection keeps the newest, the loss is
# counted and shown, and nothing crashes.  As root, the same on a real file
# system that runs out of space (an 8 MB tmpfs).
. "$(dirname "$0")/../lib.sh"
need jq
need sqlite3

CFG="$T/config"
ST="$T/state"
SPOOL="$ST/spool.db"
copy_config "$top_srcdir/config/demo" "$CFG" 920
start_sim "$CFG"
jope() { "$JOPE" -c "$CFG" --state-dir "$ST" "$@"; }

# --- retention ----------------------------------------------------------------
jope run --duration 1 2>>"$T/run.err" || fail "first run"
old_us=$(( ($(date +%s) - 100 * 86400) * 1000000 ))
sqlite3 "$SPOOL" "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000)
    INSERT INTO samples (point_id, value, quality, ts_us) SELECT 'old', x, 0, $old_us + x FROM c;" ||
    fail "cannot add old records"
jope run --duration 2 2>>"$T/run.err" || fail "run after adding old records"
[ "$(spool_sql "$SPOOL" "SELECT count(*) FROM samples WHERE point_id = 'old'")" = 0 ] ||
    fail "records older than 90 days not purged"
grep '"event":"spool_purged"' "$ST/jope-smb.log" | grep -q '"rows":1000' ||
    fail "purge not logged as a warning with its count"
grep '"event":"spool_purged"' "$ST/jope-smb.log" | grep -q '"level":"warn"' ||
    fail "purge not a warning"
jope status --json >"$T/st.json"
[ "$(jq -r .spool.purged_rows "$T/st.json")" = 1000 ] || fail "status: purged_rows"
jope status >"$T/st.txt"
grep -q "Purged: *1000 record" "$T/st.txt" || { cat "$T/st.txt"; fail "status text: no purge"; }
[ "$(spool_sql "$SPOOL" "SELECT count(*) FROM samples")" -gt 10 ] || fail "fresh records purged too"
pass "records older than the retention purged at start, counted, logged, shown"

# --- a spool capped by storage.max_mb -----------------------------------------
jq '.storage = {max_mb: 0.25}' "$CFG/app.json" >"$T/a.json" && mv "$T/a.json" "$CFG/app.json"
# The engine runs only applied versions (doc/change-control.md); this test
# is about the spool, not change control: take the edited config dir as a
# new installation (the engine makes it version 1 again).
rm -rf "$ST/config-versions"
now_us=$(( $(date +%s) * 1000000 ))
sqlite3 "$SPOOL" "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)
    INSERT INTO samples (point_id, value, quality, ts_us) SELECT 'filler', x, 0, $now_us - 60000000 + x FROM c;" ||
    fail "cannot fill the spool"
before=$(spool_sql "$SPOOL" "SELECT max(seq) FROM samples")
jope run --duration 6 2>>"$T/run.err" || fail "run on a full spool failed"
jope status --json >"$T/full.json"
dropped=$(jq -r .spool.dropped_rows "$T/full.json")
[ "$dropped" -gt 0 ] || fail "nothing dropped from a full spool"
[ "$(spool_sql "$SPOOL" "SELECT count(*) FROM samples WHERE seq > $before")" -gt 20 ] ||
    fail "the newest records were not kept"
[ "$(spool_sql "$SPOOL" "SELECT min(seq) FROM samples")" -gt 1 ] || fail "the oldest were not the ones dropped"
grep -q '"event":"spool_full"' "$ST/jope-smb.log" || fail "no spool_full warning in the log"
jope status >"$T/full.txt"
grep -q "Spool full: *$dropped oldest" "$T/full.txt" || { cat "$T/full.txt"; fail "status text: spool full not shown"; }
pass "full spool: $dropped oldest records dropped, the newest kept, shown and logged"

# --- a real file system that runs out of space ----------------------------------
if [ "$(id -u)" != 0 ]; then
    echo "# not root: the tmpfs part needs mount(8); covered by max_mb above"
    exit 0
fi
mkdir "$T/small"
mount -t tmpfs -o size=8m tmpfs "$T/small" || { echo "# cannot mount a tmpfs here"; exit 0; }
unmount_small() { umount -l "$T/small"; }
CLEANUPS="$CLEANUPS unmount_small"
jq '.storage = {spool: "'"$T/small/spool.db"'", min_free_mb: 5}' "$CFG/app.json" >"$T/a.json" &&
    mv "$T/a.json" "$CFG/app.json"
ST2="$T/state2"
"$JOPE" -c "$CFG" --state-dir "$ST2" run --duration 1 2>>"$T/run.err" || fail "run on tmpfs"
sqlite3 "$T/small/spool.db" "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 60000)
    INSERT INTO samples (point_id, value, quality, ts_us) SELECT 'filler', x, 0, $now_us + x FROM c;" 2>/dev/null
# Fill the file system to 1 MB below the spool's 5 MB alarm line: the spool
# must stop growing there and recycle its oldest records, before the file
# system itself is full (SQLite's -wal needs some room to work in).
free_kb=$(df -k --output=avail "$T/small" | tail -1)
dd if=/dev/zero of="$T/small/ballast" bs=1k count=$((free_kb - 4096)) 2>/dev/null
before=$(spool_sql "$T/small/spool.db" "SELECT max(seq) FROM samples")
"$JOPE" -c "$CFG" --state-dir "$ST2" run --duration 6 2>>"$T/run2.err"
rc=$?
[ $rc -eq 0 ] || { tail -5 "$T/run2.err"; fail "run on a full disk exited $rc"; }
"$JOPE" -c "$CFG" --state-dir "$ST2" status --json >"$T/disk.json"
[ "$(jq -r .disk_low "$T/disk.json")" = true ] || fail "disk low not reported"
grep -q '"event":"spool_disk_low"' "$ST2/jope-smb.log" || fail "no spool_disk_low warning"
newer=$(spool_sql "$T/small/spool.db" "SELECT count(*) FROM samples WHERE seq > $before")
echo "# disk full: $newer new samples kept, $(jq -r .spool.dropped_rows "$T/disk.json") dropped"
[ "$newer" -gt 0 ] || fail "nothing new stored on a full disk"
pass "a full file system: alarm, collection goes on keeping the newest"
