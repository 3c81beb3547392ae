#!/bin/sh
# test_audit.sh: users, e-signatures and the audit trail from the command
# line: the first admin by --bootstrap (refused the second time), a user
# added with the admin's signature, passwords fed on standard input in the
# documented order, two different passwords refused with nothing changed,
# the lock-out after five wrong passwords (each failure and the lock
# audited, the lock shown by user list), audit verify on an intact trail
# (exit 0) and on one tampered with the sqlite3 CLI (exit 5, naming the
# seq), audit export checked with nothing but openssl, base64 and jq (a
# console signature and a user signature verify, a changed message does
# not), and a keystore readable by others refused by every user command.
. "$(dirname "$0")/../lib.sh"
need jq
need sqlite3
need openssl
need base64

# Cheap Argon2id for the test; the default is moderate (doc/audit.md).
JOPE_SMB_KDF=interactive
export JOPE_SMB_KDF

ST="$T/state"
mkdir -p "$T/nocfg"     # a config dir without app.json: the defaults
J() { "$JOPE" --state-dir "$ST" -c "$T/nocfg" "$@"; }
JS() { "$JOPE" --state-dir "$1" -c "$T/nocfg" audit verify; }
events() { sqlite3 -readonly "$ST/spool.db" "SELECT count(*) FROM audit_log $1"; }

# --- the first admin ----------------------------------------------------
printf 'admin-pass-1\nadmin-pass-1\n' |
    J user add admin --full-name "Ada Admin" --role admin --bootstrap \
    >"$T/out" 2>"$T/err" || fail "bootstrap exit $?: $(cat "$T/err")"
grep -q "Added user admin (id 1, admin)" "$T/out" || fail "bootstrap output: $(cat "$T/out")"
[ "$(stat -c %a "$ST/keystore.json")" = 600 ] || fail "keystore mode $(stat -c %a "$ST/keystore.json")"
[ "$(events "WHERE kind = 'user_added' AND actor = 'admin'")" -eq 1 ] || fail "bootstrap not audited"
printf 'other-pass-1\nother-pass-1\n' |
    J user add root2 --full-name "Second" --role admin --bootstrap 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "second --bootstrap exit $rc (want 1)"
grep -q "bootstrap refused" "$T/err" || fail "second --bootstrap: $(cat "$T/err")"
pass "the first admin by --bootstrap, refused once a user exists"

# --- a user added with the admin's signature ------------------------------
# stdin: new password, again, signer, signer's password, reason.
printf 'bob-pass-11\nbob-pass-11\nadmin\nadmin-pass-1\nnew operator\n' |
    J user add bob --full-name "Bob Wang" --role operator >"$T/out" 2>"$T/err" ||
    fail "user add bob exit $?: $(cat "$T/err")"
grep -q "Signed: Ada Admin (admin) .* approved .* reason: new operator" "$T/out" ||
    fail "no manifestation: $(cat "$T/out")"
payload=$(sqlite3 -readonly "$ST/spool.db" "SELECT payload FROM audit_log WHERE kind = 'user_added' AND actor = 'admin' ORDER BY seq DESC LIMIT 1")
[ "$(echo "$payload" | jq -r '.action.user + " " + .action.role + " " + .signatures[0].user + " " + .signatures[0].meaning')" = "bob operator admin approved" ] ||
    fail "user_added payload: $payload"
pass "user add signed by an admin, audited as user_added"

# bob changes his own password (current, new, again).
printf 'bob-pass-11\nbob-pass-22\nbob-pass-22\n' | J user passwd bob >"$T/out" 2>"$T/err" ||
    fail "passwd exit $?: $(cat "$T/err")"
[ "$(events "WHERE kind = 'password_changed' AND actor = 'bob'")" -eq 1 ] || fail "passwd not audited"
# An operator may not sign user administration; refused and audited.
printf 'bob\nbob-pass-22\nplease\n' | J user role bob admin 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "operator signing user_admin exit $rc (want 1)"
grep -q "may not sign" "$T/err" || fail "role refusal: $(cat "$T/err")"
pass "passwd signed by the user; an operator cannot administer users"

# --- two different passwords: refused, nothing changed ------------------------
cp "$ST/keystore.json" "$T/ks.before"
n0=$(events "")
printf 'carol-pass-1\ncarol-pass-2\nadmin\nadmin-pass-1\nx\n' |
    J user add carol --full-name "Carol" --role qa >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "different passwords exit $rc (want 1)"
grep -q "differ" "$T/err" || fail "different passwords: $(cat "$T/err")"
cmp -s "$ST/keystore.json" "$T/ks.before" || fail "keystore changed"
[ "$(events "")" -eq "$n0" ] || fail "audit trail changed"
J user list >"$T/list" || fail "user list exit $?"
! grep -q carol "$T/list" || fail "carol listed"
pass "two different passwords refused, nothing changed"

# --- lock-out ----------------------------------------------------------------
n0=$(events "WHERE kind = 'login_failed'")
for i in 1 2 3 4 5; do
    printf 'admin\nwrong-pass-%s\nno reason\n' "$i" | J user disable bob 2>"$T/err"; rc=$?
    [ $rc -eq 1 ] || fail "wrong password $i exit $rc (want 1)"
    grep -q "wrong password" "$T/err" || fail "attempt $i: $(cat "$T/err")"
done
grep -q "locked until" "$T/err" || fail "fifth failure does not say locked: $(cat "$T/err")"
[ "$(events "WHERE kind = 'login_failed' AND actor = 'admin'")" -eq $((n0 + 5)) ] ||
    fail "login_failed events: $(events "WHERE kind = 'login_failed'")"
[ "$(events "WHERE kind = 'account_locked' AND actor = 'admin'")" -eq 1 ] || fail "account_locked not audited"
J user list --json >"$T/list.json" || fail "user list --json exit $?"
[ "$(jq -r '.users[] | select(.name == "admin") | "\(.locked) \(.failed)"' "$T/list.json")" = "true 5" ] ||
    fail "list --json: $(cat "$T/list.json")"
J user list >"$T/list"
grep -E '^1 +admin +Ada Admin +admin +- +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z +5 ' "$T/list" >/dev/null ||
    fail "user list does not show the lock: $(cat "$T/list")"
# The right password is refused too while locked (and audited).
printf 'admin\nadmin-pass-1\nreason\n' | J user disable bob 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "locked admin exit $rc (want 1)"
grep -q "is locked until" "$T/err" || fail "locked: $(cat "$T/err")"
[ "$(sqlite3 -readonly "$ST/spool.db" "SELECT json_extract(payload, '\$.reason') FROM audit_log WHERE kind NOT LIKE 'alarm\_%' ESCAPE '\' ORDER BY seq DESC LIMIT 1")" = locked ] ||
    fail "locked attempt not audited"
J user list --json | jq -e '.users[] | select(.name == "bob") | .disabled == false' >/dev/null ||
    fail "bob was disabled by a locked admin"
pass "five wrong passwords lock the admin; failures and lock audited and listed"

# --- verify ----------------------------------------------------------------
J audit verify >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 0 ] || fail "verify exit $rc: $(cat "$T/out" "$T/err")"
nev=$(events "")
grep -q "^intact: $nev events, 3 user signatures" "$T/out" || fail "verify: $(cat "$T/out")"
J audit verify --json | jq -e ".intact == true and .events == $nev" >/dev/null || fail "verify --json"
pass "audit verify: intact ($nev events)"

# Tampered with the sqlite3 CLI, in a copy of the state dir.
for case in edit delete reorder; do
    rm -rf "$T/bad"; cp -a "$ST" "$T/bad"
    case $case in
    edit) sqlite3 "$T/bad/spool.db" "UPDATE audit_log SET payload = replace(payload, 'new operator', 'old operator') WHERE seq = 2"
          want="event 2 (hash)" ;;
    delete) sqlite3 "$T/bad/spool.db" "DELETE FROM audit_log WHERE seq = 4"
          want="event 5 (seq)" ;;
    reorder) sqlite3 "$T/bad/spool.db" "UPDATE audit_log SET seq = -1 WHERE seq = 6;
                UPDATE audit_log SET seq = 6 WHERE seq = 7; UPDATE audit_log SET seq = 7 WHERE seq = -1"
          want="event 6 (prev_hash)" ;;
    esac
    JS "$T/bad" >"$T/out" 2>"$T/err"; rc=$?
    [ $rc -eq 5 ] || fail "$case: verify exit $rc (want 5): $(cat "$T/out" "$T/err")"
    grep -q "first broken link is $want" "$T/out" || fail "$case: $(cat "$T/out")"
done
rm -rf "$T/bad"; cp -a "$ST" "$T/bad"
sqlite3 "$T/bad/spool.db" "DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)"
JS "$T/bad" >"$T/out"; rc=$?
[ $rc -eq 5 ] || fail "cut tail: verify exit $rc (want 5)"
grep -q "events at the end missing" "$T/out" || fail "cut tail: $(cat "$T/out")"
pass "audit verify: edited, deleted, reordered and cut trails exit 5 naming the seq"

# --- export, checked with stock openssl -------------------------------------
J audit export --out "$T/ex" >"$T/out" 2>"$T/err" || fail "export exit $?: $(cat "$T/err")"
[ "$(wc -l < "$T/ex/audit.jsonl")" -eq "$nev" ] || fail "audit.jsonl lines"
[ "$(wc -l < "$T/ex/users.jsonl")" -eq 2 ] || fail "users.jsonl lines"
cd "$T/ex" || fail "cd"
seq=$(jq -r 'select(.kind == "user_added" and (.payload | fromjson | .action.user) == "bob") | .seq' audit.jsonl)
ev() { jq -r "select(.seq == $seq) | $1" audit.jsonl; }
ev .message_b64 | base64 -d > msg
ev .signature | base64 -d > sig
openssl pkeyutl -verify -pubin -inkey console.pem -rawin -in msg -sigfile sig >"$T/ossl" 2>&1 ||
    fail "openssl rejects the console signature: $(cat "$T/ossl")"
[ "$(sha256sum < msg | cut -d' ' -f1)" = "$(ev .hash)" ] || fail "hash is not SHA-256 of the message"
ev '.user_signatures[0].message_b64' | base64 -d > umsg
ev '.user_signatures[0].sig' | base64 -d > usig
uid=$(ev '.user_signatures[0].user_id')
jq -r "select(.id == $uid) | .public_key_pem" users.jsonl > signer.pem
openssl pkeyutl -verify -pubin -inkey signer.pem -rawin -in umsg -sigfile usig >"$T/ossl" 2>&1 ||
    fail "openssl rejects the user signature: $(cat "$T/ossl")"
# The user signature covers this event's action.
[ "$(ev .payload | jq -cS .action | tr -d '\n' | sha256sum | cut -d' ' -f1)" = "$(jq -r .payload_sha256 umsg)" ] ||
    fail "payload_sha256 is not SHA-256 of the action"
sed 's/new operator/new admin/' msg > msg.bad
! cmp -s msg msg.bad || fail "tampering the message changed nothing"
! openssl pkeyutl -verify -pubin -inkey console.pem -rawin -in msg.bad -sigfile sig >/dev/null 2>&1 ||
    fail "openssl accepts a tampered event"
sed 's/"approved"/"reviewed"/' umsg > umsg.bad
! openssl pkeyutl -verify -pubin -inkey signer.pem -rawin -in umsg.bad -sigfile usig >/dev/null 2>&1 ||
    fail "openssl accepts a tampered user signature"
cd "$T" || fail "cd"
J audit export --since 2999-01-01 --out "$T/ex2" >/dev/null || fail "export --since exit $?"
[ ! -s "$T/ex2/audit.jsonl" ] || fail "--since in the future exported events"
J audit export --since yesterday --out "$T/ex3" 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "bad --since exit $rc (want 2)"
pass "audit export: openssl verifies console and user signatures, not tampered ones"

# --- a keystore readable by others ---------------------------------------------
chmod 644 "$ST/keystore.json"
for cmd in "list" "add carol --full-name=C --role=qa" "passwd bob" \
    "disable bob" "role bob qa"; do
    # shellcheck disable=SC2086
    J user $cmd </dev/null >/dev/null 2>"$T/err"; rc=$?
    [ $rc -eq 1 ] || fail "user $cmd on a 0644 keystore exit $rc (want 1)"
    grep -q "chmod 600" "$T/err" || fail "user $cmd: $(cat "$T/err")"
done
chmod 600 "$ST/keystore.json"
pass "a keystore readable by others is refused by every user command"

# --- usage -------------------------------------------------------------------
J user add dave --full-name "Dave" </dev/null 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "user add without --role exit $rc (want 2)"
J user frob 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "user frob exit $rc (want 2)"
J audit export 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "audit export without --out exit $rc (want 2)"
"$JOPE" --help | grep -q "audit verify" || fail "--help lacks audit verify"
pass "usage errors exit 2"

# --- the trail in the historian ---------------------------------------------
# The historian is loaded by hand from the export, row for row what the
# uploader writes (audit_events, console_keys, user_keys), so that this part
# checks `audit verify|export --historian` alone.  Skipped (with the rest of
# the test passed) when no PostgreSQL 15 server is installed.
. "$top_srcdir/tests/pg_lib.sh"
. "$top_srcdir/tests/historian_lib.sh"
if ! _pg_find_bin >/dev/null 2>&1; then
    echo "SKIP: historian part: PostgreSQL 15 server not installed"
    exit 0
fi
pg_start 15981
CFG="$T/hcfg"
hist_config "$top_srcdir/config/demo" "$CFG" 1200 "$PG_CONNINFO" 'del(.storage)'
H() { "$JOPE" --state-dir "$ST" -c "$CFG" "$@"; }
H db migrate >"$T/out" 2>&1 || fail "db migrate: $(cat "$T/out")"
sid=$(sqlite3 -readonly "$ST/spool.db" "SELECT value FROM spool_meta WHERE key = 'spool_id'")
cpk=$(sed -n 2p "$T/ex/console.pem" | base64 -d | tail -c 32 | od -An -tx1 | tr -d ' \n')
[ ${#cpk} -eq 64 ] || fail "console public key from console.key"
jq -r '[.seq, .time, .kind, .actor, .payload, .prev_hash, .hash, .signature] | @csv' \
    "$T/ex/audit.jsonl" >"$T/events.csv"
J user list --json | jq -r '.users[] | [.id, .name, .full_name, .role, .disabled, .public_key] | @csv' \
    >"$T/users.csv"
{
    echo "INSERT INTO jope_sources (spool_id, console_id) VALUES ('$sid', 'test');"
    echo "INSERT INTO console_keys SELECT source_id, decode('$cpk', 'hex') FROM jope_sources;"
    echo "CREATE TEMP TABLE ev (seq bigint, t timestamptz, kind text, actor text,"
    echo "    payload text, prev text, hash text, sig text);"
    echo "COPY ev FROM STDIN WITH (FORMAT csv);"
    cat "$T/events.csv"
    echo '\.'
    echo "INSERT INTO audit_events (source_id, seq, time, kind, actor, payload,"
    echo "    prev_hash, hash, signature) SELECT s.source_id, seq, t, kind, actor,"
    echo "    payload, decode(prev, 'hex'), decode(hash, 'hex'), decode(sig, 'base64')"
    echo "    FROM ev, jope_sources s;"
    echo "CREATE TEMP TABLE us (id bigint, name text, full_name text, role text,"
    echo "    disabled boolean, pk text);"
    echo "COPY us FROM STDIN WITH (FORMAT csv);"
    cat "$T/users.csv"
    echo '\.'
    echo "INSERT INTO user_keys (source_id, user_id, name, full_name, role,"
    echo "    disabled, public_key) SELECT s.source_id, id, name, full_name, role,"
    echo "    disabled, decode(pk, 'hex') FROM us, jope_sources s;"
} >"$T/load.sql"
pg_psql_file "$T/load.sql" >"$T/out" 2>&1 || fail "loading the historian: $(cat "$T/out")"
[ "$(pg_psql "SELECT count(*) FROM audit_events")" -eq "$nev" ] || fail "historian rows"

H audit verify --historian >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 0 ] || fail "verify --historian exit $rc: $(cat "$T/out" "$T/err")"
grep -q "^intact: $nev events, 3 user signatures" "$T/out" || fail "verify --historian: $(cat "$T/out")"
H audit export --historian --out "$T/hex" >/dev/null 2>"$T/err" || fail "export --historian: $(cat "$T/err")"
cmp -s "$T/hex/audit.jsonl" "$T/ex/audit.jsonl" || fail "the historian's export differs from the spool's"
cmp -s "$T/hex/console.pem" "$T/ex/console.pem" || fail "console.pem differs"
pass "audit verify --historian: intact; its export equals the spool's"

pg_psql "UPDATE audit_events SET payload = replace(payload, 'new operator', 'new admin') WHERE seq = 2" >/dev/null
H audit verify --historian >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 5 ] || fail "edited historian exit $rc (want 5): $(cat "$T/out" "$T/err")"
grep -q "first broken link is event 2 (hash)" "$T/out" || fail "edited historian: $(cat "$T/out")"
pg_psql "DELETE FROM audit_events WHERE seq = 4" >/dev/null
H audit verify --historian --json >"$T/out.json" 2>"$T/err"; rc=$?
[ $rc -eq 5 ] || fail "historian with a row deleted exit $rc (want 5)"
[ "$(jq -r '[.faults[] | "\(.seq) \(.fault)"] | join(",")' "$T/out.json")" = "2 hash,5 seq" ] ||
    fail "historian faults: $(cat "$T/out.json")"
pg_psql "UPDATE user_keys SET public_key = decode(repeat('ab', 32), 'hex') WHERE user_id = 1" >/dev/null
H audit verify --historian >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 5 ] || fail "historian with a wrong user key exit $rc (want 5)"
grep -q "(user_signature): event 1: the signature of admin" "$T/out" || fail "wrong user key: $(cat "$T/out")"
pass "audit verify --historian: edited and deleted rows, a wrong user key: exit 5 naming each"
