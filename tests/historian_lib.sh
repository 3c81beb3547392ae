# tests/historian_lib.sh: what the historian tests share (sourced after
# tests/lib.sh and tests/pg_lib.sh, not run).
#
# A config dir whose app.json points at the test's own PostgreSQL cluster
# (password in a 0600 file, quick retries), a spool pre-filled with a
# backlog, and the one check that matters: every sample the spool ever
# acknowledged is in the historian exactly once, in order.

# hist_config SRC DST OFFSET CONNINFO [JQ-FILTER]: copy a config dir (ports
# moved by OFFSET) and point its historian at CONNINFO.
hist_config() {
    copy_config "$1" "$2" "$3"
    umask 077
    printf '%s\n' "$PG_PASSWORD" > "$T/pgpass"
    umask 022
    jq --arg ci "$4" --arg pf "$T/pgpass" \
        '.historian = {conninfo: $ci, password_file: $pf, retry_min_s: 0.2,
                       retry_max_s: 1, timeout_s: 5, batch_rows: 5000}
         | '"${5:-.}" "$2/app.json" > "$T/app.json.tmp" &&
        mv "$T/app.json.tmp" "$2/app.json"
}

# hist_prefill SPOOL N: add N samples of ten points "bp0".."bp9" (1 µs
# apart, ending now, so that successive calls keep each point's time going
# forward) to an existing spool, as a long outage would leave.
hist_prefill() {
    now_us=$(date +%s%6N)
    sqlite3 -cmd ".timeout 5000" "$1" "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c
                                WHERE x < $2)
        INSERT INTO samples (point_id, value, quality, ts_us)
        SELECT 'bp' || (x % 10), x, 0, $now_us - ($2 - x) FROM c;" ||
        fail "cannot pre-fill the spool"
}

# spool_waiting SPOOL: samples + errors + spectra still in the spool.
spool_waiting() {
    sqlite3 -readonly -cmd ".timeout 5000" "$1" "SELECT (SELECT count(*) FROM samples) +
               (SELECT count(*) FROM collection_errors) +
               (SELECT count(*) FROM spectra);"
}

spool_empty() { [ "$(spool_waiting "$1")" = 0 ]; }

# hist_check SPOOL: with the engine stopped, every record the spool ever
# took (seq 1..highest, AUTOINCREMENT leaves no gap) is either still in the
# spool or in the historian, none twice, and per point the historian's
# samples go forward in time as their seqs do.  The same for the audit
# trail, whose head seq the spool keeps.
hist_check() {
    sid=$(sqlite3 -readonly "$1" "SELECT value FROM spool_meta WHERE key = 'spool_id'")
    src=$(pg_psql "SELECT source_id FROM jope_sources WHERE spool_id = '$sid'")
    [ -n "$src" ] || fail "the historian does not know spool $sid"
    for pair in samples:samples errors:collection_errors spectra:spectra; do
        stream=${pair%%:*}; table=${pair#*:}
        top=$(sqlite3 -readonly "$1" "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = '$table'), 0)")
        left=$(sqlite3 -readonly "$1" "SELECT count(*) FROM $table")
        got=$(pg_psql "SELECT count(*) || ' ' || count(DISTINCT seq) FROM $table WHERE source_id = $src")
        n=${got%% *}; distinct=${got#* }
        [ "$n" = "$distinct" ] ||
            fail "$table: $n rows but $distinct distinct seqs: duplicates"
        [ $((n + left)) -eq "$top" ] ||
            fail "$table: historian $n + spool $left != $top acknowledged"
        echo "# $table: $n in the historian, $left waiting, $top acknowledged"
    done
    # The audit trail: seqs 1..head, none twice, none lost.
    head=$(sqlite3 -readonly "$1" "SELECT value FROM spool_meta WHERE key = 'audit_head_seq'")
    left=$(sqlite3 -readonly "$1" "SELECT count(*) FROM audit_log")
    got=$(pg_psql "SELECT count(*) || ' ' || count(DISTINCT seq) FROM audit_events WHERE source_id = $src")
    n=${got%% *}; distinct=${got#* }
    [ "$n" = "$distinct" ] || fail "audit_events: $n rows but $distinct distinct seqs"
    [ $((n + left)) -eq "$head" ] ||
        fail "audit: historian $n + spool $left != $head appended"
    echo "# audit_events: $n in the historian, $left waiting, $head appended"
    back=$(pg_psql "SELECT count(*) FROM (SELECT time, lag(time) OVER
        (PARTITION BY point_id ORDER BY seq) AS prev FROM samples
        WHERE source_id = $src) x WHERE time < prev")
    [ "$back" = 0 ] || fail "$back samples out of order"
}
