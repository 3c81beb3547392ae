#!/bin/sh
# test_batch_report.sh: `jope-smb batch list|report` on a real spool and a
# real historian (PostgreSQL 15), with `jope-smb run` doing the uploads.
#
# The spool gets a finished batch B-T1 (and an older B-T0) through the
# spool's C API (tests/tools/batch_fixture): two batch_record audit events,
# the record, and the batch's samples in two halves.  Checked: batch list
# (text, --json); batch report (text, --json); --csv with exact rows,
# sorted, none twice, when the rows come from the spool alone, from the
# historian alone, from both (half uploaded), from both with the same rows
# in both places, and from a state dir with no spool (record and rows from
# the historian, where the uploader folded the batch_record events into
# batches, once: the same record again changes nothing); the historian
# stopped: the spool's rows, a warning and exit 6; an unknown id: exit 1
# and no file.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/pg_lib.sh"
. "$top_srcdir/tests/historian_lib.sh"
need jq
need sqlite3

FIX="$top_builddir/tests/tools/batch_fixture"
[ -x "$FIX" ] || fail "tests/tools/batch_fixture is not built (make check builds it)"

pg_start 15978
CFG="$T/config"
ST="$T/state"
SPOOL="$ST/spool.db"
hist_config "$top_srcdir/config/demo" "$CFG" 1650 "$PG_CONNINFO" 'del(.storage)'
J() { "$JOPE" -c "$CFG" --state-dir "$ST" "$@"; }
JB() { "$JOPE" -c "$CFG" --state-dir "$T/other" "$@"; }
J db migrate >"$T/out" 2>&1 || fail "db migrate: $(cat "$T/out")"

# Sample 0 an hour ago, on a whole minute; ts S US: its time + S s + US µs.
T0=$(( $(date +%s) / 60 * 60 - 3600 ))
ts() { printf '%s.%06dZ' "$(date -u -d "@$(( T0 + $1 ))" +%Y-%m-%dT%H:%M:%S)" "$2"; }
cat >"$T/want.csv" <<EOF
time,point,value,quality,tag
$(ts 0 0),AT-501.C1,0.25,0,smb-pls@3
$(ts 0 0),FT-101,1.5,0,
$(ts 0 500000),FT-101,2,0,
$(ts 1 1),FT-101,,2,
$(ts 1 1),"PT, 1",-3e-07,1,
$(ts 2 0),AT-501.C1,0.1,0,smb-pls@3
$(ts 2 0),FT-101,123456789.125,0,
$(ts 3 0),AT-501.C1,0.3333333333333333,0,smb-pls@3
EOF
head -n 5 "$T/want.csv" >"$T/want-first.csv"         # samples 0..3
sed -n '1p;6,9p' "$T/want.csv" >"$T/want-second.csv"  # samples 4..7

"$FIX" record "$ST" "$SPOOL" "$T0" || fail "batch_fixture record"
"$FIX" poison "$ST" "$SPOOL" "$T0" || fail "batch_fixture poison"
"$FIX" samples "$SPOOL" "$T0" 0 4 || fail "batch_fixture samples 0 4"
"$FIX" samples "$SPOOL" "$T0" 8 10 || fail "batch_fixture samples 8 10"

same_csv() {   # FILE WANT
    cmp -s "$1" "$2" || { diff "$2" "$1" >&2; fail "$1 differs from $2"; }
}
no_temp_files() {
    ! ls "$T"/*.tmp-* >/dev/null 2>&1 || fail "a temporary CSV was left: $(ls "$T"/*.tmp-*)"
}

# --- list and report, from the spool ----------------------------------------
J batch list >"$T/list" 2>"$T/err" || fail "batch list exit $?: $(cat "$T/err")"
[ "$(sed -n 2p "$T/list" | awk '{print $1, $2, $3}')" = "B-T1 racemate-sep@3 complete" ] ||
    fail "batch list, first row: $(cat "$T/list")"
[ "$(sed -n 3p "$T/list" | awk '{print $1, $3}')" = "B-T0 aborted" ] ||
    fail "batch list, second row: $(cat "$T/list")"
grep -Eq "^B-T1 .* olga +8 +0 +1$" "$T/list" || fail "batch list counts: $(cat "$T/list")"
J batch list --json >"$T/list.json" || fail "batch list --json exit $?"
jq -e '[.batches[].id] == ["B-T1", "B-T0"] and .batches[0].started_by == "olga"' \
    "$T/list.json" >/dev/null || fail "batch list --json: $(cat "$T/list.json")"
pass "batch list: newest start first, recipe@version, state, counts; --json"

J batch report B-T1 >"$T/report" 2>"$T/err" || fail "batch report exit $?: $(cat "$T/err")"
for want in "^Recipe: +Racemate separation \(racemate-sep\), version 3$" \
    "^State: +complete$" "^Started: +$(ts -1 0) by olga$" "^Ended: +$(ts 10 0)$" \
    "^Held: +0:00:02 in 1 hold\(s\)$" \
    "^Counts: +8 sample\(s\), 0 error\(s\), 1 alarm\(s\)$" \
    "^$(ts 8 0) +stop +running -> stopping +sue +quinn +#14$" \
    "^$(ts 4 0) +hold +running -> held +olga +- +#12$" \
    "^Record from: +the spool$"; do
    grep -Eq "$want" "$T/report" || fail "batch report lacks /$want/: $(cat "$T/report")"
done
J batch report B-T1 --json >"$T/report.json" || fail "batch report --json exit $?"
jq -e '.source == "spool" and .record.state == "complete" and
    (.record.transitions | length) == 5 and .record.recipe.version == "3"' \
    "$T/report.json" >/dev/null || fail "batch report --json: $(cat "$T/report.json")"
pass "batch report: recipe, state, signers of every transition, held time, counts; --json"

# --- CSV: rows from the spool alone (nothing uploaded yet) --------------------
J batch report B-T1 --csv "$T/a.csv" >"$T/out" 2>"$T/err" ||
    fail "--csv exit $?: $(cat "$T/err")"
same_csv "$T/a.csv" "$T/want-first.csv"
grep -q "4 row(s) written to $T/a.csv (4 from the spool, 0 from the historian)" "$T/out" ||
    fail "--csv summary: $(cat "$T/out")"
J batch report B-T1 --csv - >"$T/stdout.csv" 2>"$T/err" || fail "--csv - exit $?"
same_csv "$T/stdout.csv" "$T/want-first.csv"
no_temp_files
pass "--csv from the spool: exact rows, sorted by time then point, quoted, empty for no value"

# --- upload: `jope-smb run` until the batch's rows and records are up ---------
start_sim "$CFG"
RUN_PID=""
run_engine() {
    "$JOPE" run -c "$CFG" --state-dir "$ST" 2>>"$T/run.err" &
    RUN_PID=$!
}
stop_engine() {
    [ -n "$RUN_PID" ] || return 0
    kill -TERM "$RUN_PID" 2>/dev/null
    wait "$RUN_PID" 2>/dev/null
    RUN_PID=""
}
kill_engine() { [ -z "$RUN_PID" ] || kill -9 "$RUN_PID" 2>/dev/null; }
CLEANUPS="$CLEANUPS kill_engine"
batch_waiting() {
    spool_sql "$SPOOL" "SELECT (SELECT count(*) FROM samples WHERE batch_id = 'B-T1')
        + (SELECT count(*) FROM audit_log WHERE kind = 'batch_record')"
}
batch_uploaded() { [ "$(batch_waiting)" = 0 ]; }

run_engine
wait_until 300 batch_uploaded || { tail -n 5 "$T/run.err"; fail "the batch was not uploaded: $(batch_waiting) left"; }
stop_engine
[ "$(pg_psql "SELECT count(*) FROM samples WHERE batch_id = 'B-T1'")" = 4 ] ||
    fail "historian samples of B-T1: $(pg_psql "SELECT count(*) FROM samples WHERE batch_id = 'B-T1'")"
row=$(pg_psql "SELECT state, recipe, recipe_version, started_by,
    extract(epoch FROM started_at)::int8 - $T0, extract(epoch FROM ended_at)::int8 - $T0,
    record->>'updated' = '$(ts 10 0)'
    FROM batches WHERE batch_id = 'B-T1'")
[ "$row" = "complete|racemate-sep|3|olga|-1|10|t" ] || fail "historian batches row: '$row'"
[ "$(pg_psql "SELECT count(*) FROM batches")" = 1 ] || fail "batches: $(pg_psql "SELECT batch_id FROM batches")"
[ "$(pg_psql "SELECT count(*) FROM audit_events WHERE kind = 'batch_record'
    AND strpos(payload, E'\\\\u0000') > 0")" = 1 ] || fail "the unfoldable event did not go up"
pass "uploaded: the batch_record events folded into batches, the latest (complete) winning; an unfoldable one uploaded, left out"

J batch report B-T1 --csv "$T/b.csv" --json >"$T/b.json" 2>"$T/err" ||
    fail "--csv from the historian exit $?: $(cat "$T/err")"
same_csv "$T/b.csv" "$T/want-first.csv"
jq -e '.csv.spool_rows == 0 and .csv.historian_rows == 4 and .csv.complete' "$T/b.json" >/dev/null ||
    fail "--csv --json from the historian: $(cat "$T/b.json")"
pass "--csv from the historian alone: the same rows"

# --- half uploaded, half in the spool ------------------------------------------
"$FIX" samples "$SPOOL" "$T0" 4 8 || fail "batch_fixture samples 4 8"
J batch report B-T1 --csv "$T/c.csv" --json >"$T/c.json" 2>"$T/err" ||
    fail "--csv from both exit $?: $(cat "$T/err")"
same_csv "$T/c.csv" "$T/want.csv"
jq -e '.csv.spool_rows == 4 and .csv.historian_rows == 4 and .csv.rows == 8' "$T/c.json" >/dev/null ||
    fail "--csv --json from both: $(cat "$T/c.json")"
pass "--csv from both: the uploaded and the waiting rows merged in order"

# --- the historian stopped: what the spool has, a warning, exit 6 --------------
pg_stop
J batch report B-T1 --csv "$T/d.csv" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 6 ] || fail "historian stopped: exit $rc (want 6): $(cat "$T/err")"
grep -q "MISSING" "$T/err" || fail "historian stopped: no warning: $(cat "$T/err")"
same_csv "$T/d.csv" "$T/want-second.csv"
grep -q "^State: *complete" "$T/out" || fail "historian stopped: no report: $(cat "$T/out")"
JB batch report B-T1 --csv "$T/e.csv" >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 6 ] || fail "no spool, historian stopped: exit $rc (want 6)"
[ ! -e "$T/e.csv" ] || fail "no spool, historian stopped: a file was written"
no_temp_files
"$JOPE" --help | grep -q "^6 batch report" || fail "--help does not document exit status 6"
pass "historian stopped: the spool's rows written, a warning, exit 6"
pg_start_again

# --- everything uploaded; the same record again changes nothing -----------------
before=$(pg_psql "SELECT updated_at FROM batches WHERE batch_id = 'B-T1'")
"$FIX" republish "$ST" "$SPOOL" "$T0" || fail "batch_fixture republish"
run_engine
wait_until 300 batch_uploaded || fail "the second half was not uploaded: $(batch_waiting) left"
stop_engine
[ "$(pg_psql "SELECT count(*) FROM audit_events WHERE kind = 'batch_record'")" = 4 ] ||
    fail "batch_record events in the historian"
[ "$(pg_psql "SELECT updated_at FROM batches WHERE batch_id = 'B-T1'")" = "$before" ] ||
    fail "the same record again changed the batches row"
J batch report B-T1 --csv "$T/f.csv" --json >"$T/f.json" || fail "--csv all uploaded exit $?"
same_csv "$T/f.csv" "$T/want.csv"
jq -e '.csv.spool_rows == 0 and .csv.historian_rows == 8' "$T/f.json" >/dev/null ||
    fail "--csv --json all uploaded: $(cat "$T/f.json")"
[ "$(pg_psql "SELECT count(*) || ' ' || count(DISTINCT (source_id, seq)) || ' '
    || count(DISTINCT (time, point_id)) FROM samples WHERE batch_id = 'B-T1'")" = "8 8 8" ] ||
    fail "the historian's samples of B-T1 are not 8, once each"
pass "all uploaded: the same CSV from the historian; the record folded once"

# A state dir without this batch: the record and the rows from the historian.
JB batch report B-T1 --json --csv "$T/g.csv" >"$T/g.json" 2>"$T/err" ||
    fail "report from another state dir exit $?: $(cat "$T/err")"
jq -e '.source == "historian" and .record.state == "complete" and .record.id == "B-T1"' \
    "$T/g.json" >/dev/null || fail "record from the historian: $(cat "$T/g.json")"
same_csv "$T/g.csv" "$T/want.csv"
JB batch report B-T1 >"$T/out" || fail "text report from the historian"
grep -q "^Record from: *the historian" "$T/out" || fail "text report: $(cat "$T/out")"
pass "a batch not in the spool: record and samples from the historian"

# The same samples in both places (the historian committed, the spool's
# delete was lost): one row each.
"$FIX" samples "$SPOOL" "$T0" 0 8 || fail "batch_fixture samples 0 8"
J batch report B-T1 --csv "$T/h.csv" --json >"$T/h.json" || fail "--csv duplicates exit $?"
same_csv "$T/h.csv" "$T/want.csv"
jq -e '.csv.spool_rows == 8 and .csv.historian_rows == 8 and .csv.rows == 8' "$T/h.json" >/dev/null ||
    fail "--csv --json duplicates: $(cat "$T/h.json")"
pass "rows in the spool and the historian both: written once"

# --- refusals -------------------------------------------------------------------
J batch report B-NOPE --csv "$T/x.csv" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "unknown id: exit $rc (want 1)"
grep -q "no batch B-NOPE" "$T/err" || fail "unknown id: $(cat "$T/err")"
[ ! -e "$T/x.csv" ] || fail "unknown id: a file was written"
J batch report B-T1 --csv "$T/no/such/dir/x.csv" >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "unwritable --csv: exit $rc (want 1)"
J batch report 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "batch report without an id: exit $rc (want 2)"
J batch report B-T1 --json --csv - >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "--json with --csv -: exit $rc (want 2)"
no_temp_files
pass "unknown id: exit 1, no file; usage errors exit 2"
