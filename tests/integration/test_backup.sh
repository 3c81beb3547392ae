#!/bin/sh
# test_backup.sh: `jope-smb backup` and `jope-smb restore`, end to end
# (doc/backup.md).
#
# The simulator and `jope-smb run` on the demo plant, with an admin, a QA
# and a supervisor made by `user add`.  A backup made while the engine runs
# leaves it running and collecting, is mode 0600, and is a "backup" audit
# event with the archive's size and SHA-256; a backup is refused (nothing
# written) when the passphrases differ, are short, or FILE exists.  A
# restore is refused while the engine holds the state dir's engine.lock.
# With the engine stopped, refusals leave the target exactly as it was,
# byte for byte (another console's state dir, whose different console key
# is warned about): the same person signing twice, a wrong passphrase, a
# tampered archive, a wrong password.  Restored into a fresh state dir with
# an admin and QA: the spool's samples, the users and the configuration
# versions are there, `audit verify` is intact and its last event is
# "restore" with both signatures over the archive's hash, and an engine
# starts on it.  Restored over an existing state dir: the old state is
# kept aside, unchanged.  Answers go on standard input in the order of
# doc/backup.md.
. "$(dirname "$0")/../lib.sh"
need jq
need sqlite3

# Cheap Argon2id for the users and the passphrase (doc/audit.md).
JOPE_SMB_KDF=interactive
export JOPE_SMB_KDF

CFG="$T/config"
ST="$T/state"
copy_config "$top_srcdir/config/demo" "$CFG" 1000
jq '.compliance = {kdf: "interactive"}' "$CFG/app.json" >"$T/app.json" &&
    mv "$T/app.json" "$CFG/app.json"
start_sim "$CFG"

J() { "$JOPE" -c "$CFG" --state-dir "$ST" "$@"; }
R() { dir=$1; shift; "$JOPE" -c "$CFG" --state-dir "$dir" "$@"; }
LOG="$ST/jope-smb.log"
logged() { grep -q "$1" "$LOG" 2>/dev/null; }
samples() { spool_sql "$1/spool.db" "SELECT count(*) FROM samples"; }
has_samples() { [ "$(samples "$ST" 2>/dev/null || echo 0)" -gt "${1:-0}" ]; }
PASS=backup-passphrase-1

"$JOPE" --help | grep -q "restore --in" || fail "--help does not mention restore"

"$JOPE" -c "$CFG" --state-dir "$ST" run -s 1 --duration 120 2>"$T/run.err" &
RUN_PID=$!
stop_run() { kill "$RUN_PID"; wait "$RUN_PID"; }
CLEANUPS="stop_run"
wait_until 100 logged '"event":"engine_start"' || fail "engine did not start: $(tail -3 "$T/run.err")"

printf 'ada-pass-1\nada-pass-1\n' |
    J user add ada --full-name "Ada Admin" --role admin --bootstrap >/dev/null 2>"$T/err" ||
    fail "bootstrap: $(cat "$T/err")"
add_user() {
    printf '%s\n%s\nada\nada-pass-1\nnew user\n' "$3" "$3" |
        J user add "$1" --full-name "$1 test" --role "$2" >/dev/null 2>"$T/err" ||
        fail "user add $1: $(cat "$T/err")"
}
add_user quinn qa quinn-pass-1
add_user sam supervisor sam-pass-1
wait_until 100 has_samples 0 || fail "no samples collected"

# --- backup while the engine runs ------------------------------------------
B="$T/one.jsb"
J backup </dev/null >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "backup without --out: exit $rc (want 2)"
printf '%s\nother-passphrase\n' "$PASS" | J backup --out "$B" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "passphrases differ: exit $rc (want 1)"
grep -q "differ" "$T/err" || fail "passphrases differ: $(cat "$T/err")"
printf 'short\nshort\n' | J backup --out "$B" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "short passphrase: exit $rc (want 1)"
[ ! -e "$B" ] && [ ! -e "$B.tmp" ] || fail "a refused backup left a file"

printf '%s\n%s\n' "$PASS" "$PASS" | J backup --out "$B" >"$T/out" 2>"$T/err" ||
    fail "backup exit $?: $(cat "$T/err")"
grep -q "Backup written to" "$T/out" || fail "backup output: $(cat "$T/out")"
[ "$(stat -c %a "$B")" = 600 ] || fail "archive mode $(stat -c %a "$B")"
[ ! -e "$B.tmp" ] || fail "backup left $B.tmp"
ls "$ST" | grep -q 'backup-' && fail "backup left its spool copy: $(ls "$ST")"
kill -0 "$RUN_PID" 2>/dev/null || fail "the engine stopped during the backup"
SUM=$(sha256sum "$B" | cut -d' ' -f1)
SIZE=$(stat -c %s "$B")
spool_sql "$ST/spool.db" "SELECT payload FROM audit_log WHERE kind = 'backup'" >"$T/bev.json"
jq -e --arg s "$SUM" --argjson n "$SIZE" --arg f "$B" '
    .sha256 == $s and .size == $n and .file == $f
    and .manifest.format == "jope-smb-backup"
    and ([.manifest.files[].name] | index("spool.db") != null
         and index("keystore.json") != null and index("console.key") != null
         and index("program.version") != null
         and index("config-versions/CURRENT") != null
         and index("config-versions/0001/devices.json") != null)
    and (.manifest.files | all(.sha256 | test("^[0-9a-f]{64}$")))' \
    "$T/bev.json" >/dev/null || fail "backup event: $(head -c 800 "$T/bev.json")"
BACKED=$(jq .manifest.meta.samples "$T/bev.json")
[ "$BACKED" -gt 0 ] || fail "the archive's spool has no samples"
wait_until 50 has_samples "$BACKED" || fail "the engine does not collect after the backup"
printf '%s\n%s\n' "$PASS" "$PASS" | J backup --out "$B" >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "backup over an existing file: exit $rc (want 1)"
[ "$(sha256sum "$B" | cut -d' ' -f1)" = "$SUM" ] || fail "an existing archive was replaced"
pass "backup while running: 0600, engine keeps collecting, audited with size and SHA-256; refusals write nothing"

# The signature, checked with stock OpenSSL as doc/backup.md shows.
if command -v openssl >/dev/null 2>&1; then
    head -c $((SIZE - 72)) "$B" | openssl dgst -sha256 -binary >"$T/digest.bin"
    tail -c 64 "$B" >"$T/sig.bin"
    { printf '\060\052\060\005\006\003\053\145\160\003\041\000'
      dd if="$B" bs=1 skip=80 count=32 2>/dev/null; } >"$T/pk.der"
    openssl pkey -pubin -inform DER -in "$T/pk.der" -out "$T/pk.pem" 2>"$T/err" ||
        fail "openssl pkey: $(cat "$T/err")"
    openssl pkeyutl -verify -pubin -inkey "$T/pk.pem" -rawin -in "$T/digest.bin" \
        -sigfile "$T/sig.bin" >"$T/out" 2>&1 || fail "openssl: $(cat "$T/out")"
    printf 'x' | cat "$T/digest.bin" - >"$T/digest2.bin"
    openssl pkeyutl -verify -pubin -inkey "$T/pk.pem" -rawin -in "$T/digest2.bin" \
        -sigfile "$T/sig.bin" >/dev/null 2>&1 && fail "openssl verified another digest"
    pass "the archive's signature verifies with openssl"
fi

# --- restore is refused while the engine runs ------------------------------
ls -la "$ST" >"$T/before.ls"
printf '%s\n' "$PASS" | J restore --in "$B" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "restore while running: exit $rc (want 1)"
grep -q "is running on state dir" "$T/err" && grep -q "engine.lock" "$T/err" ||
    fail "restore while running: $(cat "$T/err")"
[ ! -e "$ST.restore-tmp" ] && ! ls "$T" | grep -q 'before-restore' ||
    fail "a refused restore left something: $(ls "$T")"
kill -0 "$RUN_PID" 2>/dev/null || fail "the engine stopped"
pass "restore refused while the engine holds engine.lock"

stop_run || fail "run exited with $?"
CLEANUPS=""

# --- refusals leave the target exactly as it was ---------------------------
# Another console's state dir: its own console key.
O="$T/other"
R "$O" run -s 1 --duration 1 2>/dev/null || fail "run on the other state dir"
tree_sum() {
    (cd "$1" && find . -printf '%p %y %m %s\n' | sort &&
        find . -type f -exec sha256sum {} + | sort)
}
tree_sum "$O" >"$T/o.sum"
unchanged() {
    tree_sum "$O" | cmp -s - "$T/o.sum" || fail "$1: the target changed"
    [ ! -e "$O.restore-tmp" ] || fail "$1: $O.restore-tmp left"
    ! ls "$T" | grep -q 'before-restore' || fail "$1: a before-restore dir"
}
SIGN_OK='ada\nada-pass-1\nperformed\ndisk replaced\nquinn\nquinn-pass-1\n\nchecked\n'

printf "%s\\nada\\nada-pass-1\\n\\nrestore\\nada\\nada-pass-1\\n\\nagain\\n" "$PASS" |
    R "$O" restore --in "$B" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "same signer twice: exit $rc (want 1)"
grep -q "different person" "$T/err" || fail "same signer twice: $(cat "$T/err")"
grep -q "warning: the archive was made by console key" "$T/err" ||
    fail "no warning of another console key: $(cat "$T/err")"
unchanged "same signer twice"

printf "wrong-passphrase-1\\n$SIGN_OK" | R "$O" restore --in "$B" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "wrong passphrase: exit $rc (want 1)"
grep -q "wrong passphrase" "$T/err" || fail "wrong passphrase: $(cat "$T/err")"
unchanged "wrong passphrase"

printf "%s\\nada\\nnot-her-password\\n\\nrestore\\n" "$PASS" |
    R "$O" restore --in "$B" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "wrong password: exit $rc (want 1)"
grep -q "wrong password" "$T/err" || fail "wrong password: $(cat "$T/err")"
unchanged "wrong password"

printf "%s\\nsam\\nsam-pass-1\\n\\nrestore\\n" "$PASS" |
    R "$O" restore --in "$B" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "a supervisor in the admin's place: exit $rc (want 1)"
unchanged "wrong role"

printf "%s\\nada\\nada-pass-1\\n\\nrestore\\n" "$PASS" |
    R "$O" restore --in "$B" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "input ending after one signer: exit $rc (want 1)"
unchanged "input ended"

cp "$B" "$T/tampered.jsb"
printf 'X' | dd of="$T/tampered.jsb" bs=1 seek=$((SIZE / 2)) conv=notrunc 2>/dev/null
cmp -s "$B" "$T/tampered.jsb" && fail "the tampered copy is not different"
printf "%s\\n$SIGN_OK" "$PASS" | R "$O" restore --in "$T/tampered.jsb" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "tampered archive: exit $rc (want 1)"
grep -q "signature does not verify" "$T/err" || fail "tampered archive: $(cat "$T/err")"
unchanged "tampered archive"

head -c $((SIZE - 100)) "$B" >"$T/cut.jsb"
printf "%s\\n$SIGN_OK" "$PASS" | R "$O" restore --in "$T/cut.jsb" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "truncated archive: exit $rc (want 1)"
unchanged "truncated archive"
R "$O" restore </dev/null >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "restore without --in: exit $rc (want 2)"
pass "refused with the target unchanged: same person twice, wrong passphrase, wrong password, wrong role, input ended, tampered, truncated"

# --- restore into a fresh state dir ------------------------------------------
N="$T/fresh/state"
printf "%s\\n$SIGN_OK" "$PASS" | "$JOPE" --state-dir "$N" restore --in "$B" >"$T/out" 2>"$T/err" ||
    fail "restore exit $?: $(cat "$T/err")"
grep -q "Restored into $N" "$T/out" || fail "restore output: $(cat "$T/out")"
grep -q "signature good" "$T/out" || fail "restore output: $(cat "$T/out")"
grep -q "Console public key: $(cut -c65-128 "$ST/console.key")" "$T/out" ||
    fail "restore does not show the console's public key: $(cat "$T/out")"
[ ! -e "$N.restore-tmp" ] || fail "restore left $N.restore-tmp"
ls "$T/fresh" | grep -q before-restore && fail "a fresh restore set something aside"
[ "$(samples "$N")" -eq "$BACKED" ] || fail "restored samples $(samples "$N"), archive $BACKED"
cmp -s "$N/console.key" "$ST/console.key" || fail "console.key differs"
[ "$(stat -c %a "$N/console.key")" = 600 ] && [ "$(stat -c %a "$N/keystore.json")" = 600 ] ||
    fail "modes of the restored keys"
R "$N" user list --json >"$T/users.json" 2>"$T/err" || fail "user list: $(cat "$T/err")"
jq -e '[.. | objects | select(has("name")) | .name] | (index("ada") != null
    and index("quinn") != null and index("sam") != null)' "$T/users.json" >/dev/null ||
    fail "users: $(cat "$T/users.json")"
cmp -s "$N/config-versions/CURRENT" "$ST/config-versions/CURRENT" || fail "CURRENT differs"
diff -r "$N/config-versions" "$ST/config-versions" -x .lock >/dev/null ||
    fail "config versions differ"
R "$N" config versions --json >"$T/v.json" || fail "config versions on the restored state"
[ "$(jq .current "$T/v.json")" = "$(cat "$ST/config-versions/CURRENT")" ] || fail "versions: $(cat "$T/v.json")"
R "$N" audit verify >"$T/verify" 2>&1 || fail "audit verify: $(cat "$T/verify")"
spool_sql "$N/spool.db" "SELECT kind, payload FROM audit_log WHERE kind NOT LIKE 'alarm\_%' ESCAPE '\' ORDER BY seq DESC LIMIT 1" >"$T/last"
[ "$(cut -d'|' -f1 "$T/last")" = restore ] || fail "last event: $(cut -c1-200 "$T/last")"
cut -d'|' -f2- "$T/last" | jq -e --arg s "$SUM" --arg n "$N" '
    (.signatures | length == 2) and ([.signatures[].user] == ["ada", "quinn"])
    and ([.signatures[].meaning] == ["performed", "approved"])
    and .action.sha256 == $s and .action.state_dir == $n
    and .action.previous_state == null' >/dev/null ||
    fail "restore event: $(cut -d'|' -f2- "$T/last" | head -c 800)"
# A new sequence space in the historian: the original went on after the backup.
old_id=$(spool_sql "$ST/spool.db" "SELECT value FROM spool_meta WHERE key = 'spool_id'")
new_id=$(spool_sql "$N/spool.db" "SELECT value FROM spool_meta WHERE key = 'spool_id'")
prev_id=$(spool_sql "$N/spool.db" "SELECT value FROM spool_meta WHERE key = 'previous_spool_id'")
[ -n "$new_id" ] && [ "$new_id" != "$old_id" ] && [ "$prev_id" = "$old_id" ] ||
    fail "restored spool id: $new_id (was $old_id, previous $prev_id)"
cut -d'|' -f2- "$T/last" | jq -e --arg o "$old_id" --arg n "$new_id" \
    '.action.previous_spool_id == $o and .action.spool_id == $n' >/dev/null ||
    fail "the restore event does not name the old and new spool ids"
R "$N" run -s 1 --duration 2 2>"$T/run2.err" || fail "an engine on the restored state: $(tail -3 "$T/run2.err")"
R "$N" audit verify >"$T/verify" 2>&1 || fail "audit verify after a run: $(cat "$T/verify")"
pass "restored into a fresh dir: samples, users, config versions; audit intact, last event restore with two signatures"

# --- restore over an existing state dir: the old one is kept aside --------
printf "%s\\n$SIGN_OK" "$PASS" | R "$O" restore --in "$B" >"$T/out" 2>"$T/err" ||
    fail "restore over $O exit $?: $(cat "$T/err")"
ASIDE=$(ls -d "$O".before-restore-* 2>/dev/null)
[ -n "$ASIDE" ] && [ -d "$ASIDE" ] || fail "the old state was not kept aside: $(ls "$T")"
grep -qF "$ASIDE" "$T/out" || fail "the aside dir is not named: $(cat "$T/out")"
tree_sum "$ASIDE" | cmp -s - "$T/o.sum" || fail "the kept state differs from the old one"
cmp -s "$O/console.key" "$ST/console.key" || fail "$O does not hold the archive's state"
spool_sql "$O/spool.db" "SELECT json_extract(payload, '\$.action.previous_state')
    FROM audit_log WHERE kind NOT LIKE 'alarm\_%' ESCAPE '\' ORDER BY seq DESC LIMIT 1" | grep -qF "$ASIDE" ||
    fail "the restore event does not name the kept state"
R "$O" audit verify >"$T/verify" 2>&1 || fail "audit verify over $O: $(cat "$T/verify")"
pass "restore over an existing state dir keeps the old one aside, unchanged"
