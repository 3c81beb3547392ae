#!/bin/sh
# test_historian_migrate.sh: the historian's schema on a real PostgreSQL 15.
#
# A throwaway cluster of the test's own.  `db status` on an empty database
# lists every migration as pending (exit 4); `db migrate` applies them; `db
# down` without --yes changes nothing; down to 0 and up again gives the same
# schema, byte for byte in pg_dump.  A script changed after it was applied is
# reported.  The failure paths: a password file others can read, a wrong
# password, no historian at all.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/pg_lib.sh"
. "$top_srcdir/tests/historian_lib.sh"
need jq

pg_start 15971
CFG="$T/config"
hist_config "$top_srcdir/config/demo" "$CFG" 940 "$PG_CONNINFO"
db() { "$JOPE" -c "$CFG" --state-dir "$T/state" db "$@"; }
J() { "$JOPE" -c "$CFG" --state-dir "$T/state" "$@"; }
trail() { sqlite3 -readonly "$T/state/spool.db" "$1"; }
need sqlite3

# Rolling back needs two signatures (schema_rollback: admin, then QA).
export JOPE_SMB_KDF=interactive
printf 'admin-pass-1\nadmin-pass-1\n' |
    J user add ada --full-name "Ada Admin" --role admin --bootstrap >/dev/null 2>"$T/err" ||
    fail "bootstrap admin: $(cat "$T/err")"
printf 'qa-pass-12\nqa-pass-12\nada\nadmin-pass-1\ntest QA\n' |
    J user add quinn --full-name "Quinn QA" --role qa >/dev/null 2>"$T/err" ||
    fail "user add quinn: $(cat "$T/err")"
SIGN="ada\nadmin-pass-1\napproved\ntest roll-back\nquinn\nqa-pass-12\napproved\nchecked\n"

# --- status on an empty database ----------------------------------------
db status >"$T/st0" 2>&1
rc=$?
[ $rc -eq 4 ] || { cat "$T/st0"; fail "db status on an empty db: exit $rc (want 4)"; }
grep -q "0001 base .*pending" "$T/st0" || { cat "$T/st0"; fail "0001 not pending"; }
db status --json >"$T/st0.json"
[ "$(jq -r .version "$T/st0.json")" = 0 ] || fail "json version"
[ "$(jq -r '.migrations | length' "$T/st0.json")" -ge 2 ] || fail "json migrations"
pass "db status: empty database, migrations pending (exit 4)"

# --- migrate --------------------------------------------------------------
db migrate >"$T/up1" 2>&1 || { cat "$T/up1"; fail "db migrate"; }
grep -q "applied  0001 base" "$T/up1" || { cat "$T/up1"; fail "0001 not applied"; }
grep -q "applied  0002 audit_batches" "$T/up1" || fail "0002 not applied"
grep -q "applied  0003 audit_keys" "$T/up1" || fail "0003 not applied"
grep -q "applied  0004 sample_tags" "$T/up1" || fail "0004 not applied"
[ "$(pg_psql "SELECT count(*) FROM information_schema.columns WHERE table_name = 'samples' AND column_name = 'tag'")" = 1 ] ||
    fail "samples.tag missing after migrate"
trail "SELECT payload FROM audit_log WHERE kind = 'schema_migrated'" |
    jq -e '.from == 0 and (.steps | length) >= 3' >/dev/null ||
    fail "the migration is not in the audit trail"
db status >"$T/st1" 2>&1 || { cat "$T/st1"; fail "db status after migrate: exit $?"; }
for t in samples collection_errors spectra audit_events batches \
         schema_migrations jope_sources upload_marks console_keys user_keys; do
    [ "$(pg_psql "SELECT to_regclass('$t') IS NOT NULL")" = t ] ||
        fail "table $t missing after migrate"
done
[ "$(pg_psql "SELECT relkind FROM pg_class WHERE relname = 'samples'")" = p ] ||
    fail "samples is not range-partitioned on plain PostgreSQL"
db migrate >"$T/up1b" 2>&1 || fail "second db migrate"
grep -q "up to date" "$T/up1b" || fail "second migrate did something"
pass "db migrate applies every migration once"

# Partitions are made on demand and retention drops the old ones.
pg_psql "SELECT jope_ensure_partitions('2015-01-10', '2015-02-10')" >/dev/null
[ "$(pg_psql "SELECT to_regclass('samples_201502') IS NOT NULL")" = t ] ||
    fail "partition samples_201502 not created"
[ "$(pg_psql "SELECT jope_drop_old_partitions(interval '7 years')")" = 2 ] ||
    fail "old partitions not dropped"
[ "$(pg_psql "SELECT to_regclass('samples_201501') IS NULL")" = t ] ||
    fail "samples_201501 still there"
pass "partitions created on demand, dropped after 7 years"

# pg_dump's \restrict lines carry a random key: not part of the schema.
dump_schema() { pg_dump_schema | grep -v '^\\\(un\)\{0,1\}restrict '; }
dump_schema >"$T/schema1.sql" || fail "pg_dump"

# --- down without --yes changes nothing -------------------------------------
db down 0 >"$T/down0" 2>&1
rc=$?
[ $rc -eq 2 ] || { cat "$T/down0"; fail "db down without --yes: exit $rc (want 2)"; }
grep -q "add --yes" "$T/down0" || fail "db down does not say how to confirm"
[ "$(pg_psql "SELECT max(version) FROM schema_migrations")" = 4 ] ||
    fail "db down without --yes changed the schema"
db down x >/dev/null 2>&1; [ $? -eq 2 ] || fail "db down x: not a usage error"
pass "db down without --yes refused, nothing changed"


# The same person twice, or input that ends: refused, nothing dropped.
printf 'ada\nadmin-pass-1\n\nx\nada\nadmin-pass-1\n\nx\n' | db down 1 --yes >"$T/down1" 2>&1
[ $? -eq 1 ] || { cat "$T/down1"; fail "db down signed twice by ada: not refused"; }
[ "$(pg_psql "SELECT max(version) FROM schema_migrations")" = 4 ] ||
    fail "a refused roll-back changed the schema"
printf "$SIGN" | db down 1 --yes >"$T/down1" 2>&1 || { cat "$T/down1"; fail "db down 1"; }
trail "SELECT payload FROM audit_log WHERE kind = 'schema_rollback'" |
    jq -e '.action.from == 4 and .action.to == 1 and
           ([.signatures[].user] == ["ada", "quinn"])' >/dev/null ||
    fail "the roll-back and its two signatures are not in the audit trail"
[ "$(pg_psql "SELECT to_regclass('audit_events') IS NULL")" = t ] ||
    fail "audit_events still there after down 1"
[ "$(pg_psql "SELECT to_regclass('samples') IS NOT NULL")" = t ] ||
    fail "samples gone after down 1"
# A step that fails (a table in its way) changes nothing.
pg_psql "CREATE TABLE batches (x int)" >/dev/null
db migrate >"$T/upfail" 2>&1
[ $? -eq 1 ] || { cat "$T/upfail"; fail "a failing migration did not exit 1"; }
grep -q "migration 2 (audit_batches) up: .*already exists" "$T/upfail" ||
    { cat "$T/upfail"; fail "the failing step is not named with the reason"; }
[ "$(pg_psql "SELECT to_regclass('audit_events') IS NULL")" = t ] ||
    fail "the failed step left audit_events behind"
[ "$(pg_psql "SELECT max(version) FROM schema_migrations")" = 1 ] ||
    fail "the failed step changed the version"
pg_psql "DROP TABLE batches" >/dev/null
pass "db down needs two signatures (same person twice refused), audited; a failing step is named and changes nothing"

printf "$SIGN" | db down 0 --yes >"$T/down0" 2>&1 || { cat "$T/down0"; fail "db down 0"; }
[ "$(pg_psql "SELECT count(*) FROM schema_migrations")" = 0 ] ||
    fail "schema_migrations not empty after down 0"
[ "$(pg_psql "SELECT to_regclass('samples') IS NULL")" = t ] ||
    fail "samples still there after down 0"
db migrate >/dev/null 2>&1 || fail "migrate again"
dump_schema >"$T/schema2.sql" || fail "pg_dump"
diff -u "$T/schema1.sql" "$T/schema2.sql" >"$T/schema.diff" ||
    { head -40 "$T/schema.diff"; fail "schema differs after down and up"; }
pass "up, down to 0, up again: the same schema"

# --- a script changed after it was applied ----------------------------------
pg_psql "UPDATE schema_migrations SET checksum = 'x' WHERE version = 1" >/dev/null
db status >"$T/st2" 2>&1
[ $? -eq 4 ] || fail "changed script: exit not 4"
grep -q "changed since" "$T/st2" || { cat "$T/st2"; fail "changed script not reported"; }
pass "a migration changed after it was applied is reported"

# --- failure paths -----------------------------------------------------------
chmod 644 "$T/pgpass"
db status >"$T/err1" 2>&1
[ $? -eq 1 ] || fail "world-readable password file accepted"
grep -q "chmod 600" "$T/err1" || { cat "$T/err1"; fail "no clear message for the password file mode"; }
chmod 600 "$T/pgpass"
printf 'wrong\n' >"$T/pgpass"
db status >"$T/err2" 2>&1
[ $? -eq 1 ] || fail "wrong password accepted"
grep -qi "password authentication failed" "$T/err2" || { cat "$T/err2"; fail "no clear message for a wrong password"; }
grep -q "wrong" "$T/err2" && fail "the password appears in the message"
jq 'del(.historian)' "$CFG/app.json" >"$T/a.json" && mv "$T/a.json" "$CFG/app.json"
db status >"$T/err3" 2>&1
[ $? -eq 1 ] || fail "db status without a historian: not a failure"
grep -q "no historian configured" "$T/err3" || fail "no clear message without a historian"
pass "bad password file, wrong password, no historian: clear errors"
