#!/bin/sh
# test_config_apply.sh: change control of the configuration, end to end.
#
# The simulator and `jope-smb run` on the demo plant.  The engine's first
# start makes the config dir version 1 (config_initial, with the files'
# hashes, no signatures).  An edited devices.json is not taken into use,
# not even on SIGHUP: the engine says the config dir differs and `config
# diff` shows the change (exit 4).  `config apply` is refused with nothing
# changed for an invalid config, the same person signing twice and a wrong
# password (audited as login_failed); with a supervisor and QA it makes
# version 2, the running engine reloads it within seconds, and the trail
# holds one config_apply event with both signatures, the old and new
# contents and the diff.  `config rollback 1` makes version 3 with version
# 1's content, taken into use the same way.  A restart runs version 3 and
# still says the config dir differs.  The answers go on standard input in
# the order of doc/change-control.md.
. "$(dirname "$0")/../lib.sh"
need jq
need sqlite3

# Cheap Argon2id for the test users (doc/audit.md).
JOPE_SMB_KDF=interactive
export JOPE_SMB_KDF

CFG="$T/config"
ST="$T/state"
copy_config "$top_srcdir/config/demo" "$CFG" 820
jq '.compliance = {kdf: "interactive"}' "$CFG/app.json" >"$T/app.json" &&
    mv "$T/app.json" "$CFG/app.json"
cp "$CFG/devices.json" "$T/devices.v1"
start_sim "$CFG"

J() { "$JOPE" -c "$CFG" --state-dir "$ST" "$@"; }
LOG="$ST/jope-smb.log"
VERS="$ST/config-versions"
events() { spool_sql "$ST/spool.db" "SELECT count(*) FROM audit_log $1"; }
logged() { grep -q "$1" "$LOG" 2>/dev/null; }
current() { cat "$VERS/CURRENT" 2>/dev/null; }
is_current() { [ "$(current)" = "$1" ]; }

"$JOPE" --help | grep -q "user add" || skip "'jope-smb user add' is not built"
"$JOPE" --help | grep -q "config apply" || fail "--help does not mention config apply"

# Not through J: $! must be the engine itself, for SIGHUP.
"$JOPE" -c "$CFG" --state-dir "$ST" run -s 1 --duration 120 2>"$T/run.err" &
RUN_PID=$!
stop_run() { kill "$RUN_PID"; wait "$RUN_PID"; }
CLEANUPS="stop_run"

# --- first start: the config dir becomes version 1 ---------------------------
wait_until 100 logged '"event":"engine_start"' || fail "engine did not start: $(tail -3 "$T/run.err")"
is_current 1 || fail "CURRENT is '$(current)', want 1"
for f in app.json devices.json; do
    cmp -s "$CFG/$f" "$VERS/0001/$f" || fail "version 1 $f is not the config dir's"
    sum=$(sha256sum "$CFG/$f" | cut -d' ' -f1)
    [ "$(jq -r --arg f "$f" '.files[$f].sha256' "$VERS/0001/manifest.json")" = "$sum" ] ||
        fail "manifest sha256 of $f"
    [ "$(spool_sql "$ST/spool.db" "SELECT json_extract(payload, '\$.files.\"$f\".sha256')
        FROM audit_log WHERE kind = 'config_initial'")" = "$sum" ] || fail "config_initial lacks the hash of $f"
done
jq -e '.kind == "initial" and .signatures == [] and (.audit_seq | type) == "number"' \
    "$VERS/0001/manifest.json" >/dev/null || fail "manifest of version 1: $(cat "$VERS/0001/manifest.json")"
[ "$(events "WHERE kind = 'config_initial'")" -eq 1 ] || fail "no config_initial event"
pass "first start: the config dir is version 1, config_initial with its hashes"

# --- users (the first admin adds a supervisor and a QA) -------------------
printf 'admin-pass-1\nadmin-pass-1\n' |
    J user add admin --full-name "Ada Admin" --role admin --bootstrap >/dev/null 2>"$T/err" ||
    fail "bootstrap: $(cat "$T/err")"
add_user() {
    printf '%s\n%s\nadmin\nadmin-pass-1\nnew user\n' "$3" "$3" |
        J user add "$1" --full-name "$1 test" --role "$2" >/dev/null 2>"$T/err" ||
        fail "user add $1: $(cat "$T/err")"
}
add_user sam supervisor sam-pass-1
add_user quinn qa quinn-pass-1

# --- an edited config dir is not taken into use ----------------------------
POINT=$(jq -r '[.points[] | select(.scale == 0.1)][0].id' "$CFG/devices.json")
IDX=$(jq --arg p "$POINT" '[.points[].id] | index($p)' "$CFG/devices.json")
jq --arg p "$POINT" '(.points[] | select(.id == $p) | .scale) = 0.01' "$T/devices.v1" >"$CFG/devices.json"
kill -HUP $RUN_PID
wait_until 50 logged '"event":"config_unapplied"' || fail "SIGHUP: the engine does not say the config dir differs"
logged '"event":"config_unchanged"' || fail "SIGHUP: no config_unchanged"
logged '"event":"config_applied"' && fail "an unapplied config dir was taken into use"
is_current 1 || fail "CURRENT moved without config apply"
sleep 1.2
J status --json >"$T/st0.json"
jq -e '.config_generation == 0 and (.config_status | test("differs from the applied version 1"))' "$T/st0.json" >/dev/null ||
    fail "status: $(jq -c '{config_generation, config_status}' "$T/st0.json")"
J config diff >"$T/diff" 2>&1; rc=$?
[ $rc -eq 4 ] || fail "config diff exit $rc (want 4): $(cat "$T/diff")"
grep -qF "devices.json \$.points[$IDX].scale: 0.1 → 0.01" "$T/diff" || fail "diff: $(cat "$T/diff")"
J config diff --json >"$T/diff.json"; rc=$?
[ $rc -eq 4 ] || fail "config diff --json exit $rc"
jq -e --arg p "\$.points[$IDX].scale" '.applied_version == 1 and (.differences | length == 1)
    and .differences[0].path == $p and .differences[0].old == 0.1 and .differences[0].new == 0.01' \
    "$T/diff.json" >/dev/null || fail "diff --json: $(cat "$T/diff.json")"
pass "edited config dir: engine keeps version 1, says so; config diff exits 4 with the path"

# --- refusals: nothing changes ---------------------------------------------
nothing_changed() {
    is_current 1 || fail "$1: CURRENT is $(current)"
    [ "$(ls "$VERS" | grep -c '^[0-9]')" -eq 1 ] || fail "$1: a version was written"
    [ "$(events "WHERE kind IN ('config_apply', 'config_rollback')")" -eq 0 ] || fail "$1: recorded"
}
cp "$CFG/devices.json" "$T/devices.v2"
jq '.devices[0].connector = "nowhere"' "$T/devices.v2" >"$CFG/devices.json"
J config apply </dev/null >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "invalid config: apply exit $rc (want 1)"
grep -qE 'devices\.json:[0-9]+:[0-9]+: \$\.devices\[0\]\.connector' "$T/err" || fail "invalid config: $(cat "$T/err")"
J config diff >/dev/null 2>&1; [ $? -eq 1 ] || fail "config diff of an invalid config: not 1"
nothing_changed "invalid config"
cp "$T/devices.v2" "$CFG/devices.json"

printf 'sam\nsam-pass-1\n\nscale\nsam\nsam-pass-1\n\nagain\n' | J config apply >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "same signer twice: exit $rc (want 1)"
grep -q "different person" "$T/err" || fail "same signer twice: $(cat "$T/err")"
nothing_changed "same signer twice"

failed_before=$(events "WHERE kind = 'login_failed'")
printf 'sam\nnot-the-password\n\nscale\n' | J config apply >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "wrong password: exit $rc (want 1)"
grep -q "wrong password" "$T/err" || fail "wrong password: $(cat "$T/err")"
[ "$(events "WHERE kind = 'login_failed' AND actor = 'sam'
    AND json_extract(payload, '\$.action') = 'config_apply'")" -gt "$failed_before" ] ||
    fail "wrong password not audited as login_failed"
nothing_changed "wrong password"

printf 'quinn\nquinn-pass-1\n\nscale\n' | J config apply >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "QA in the first place: exit $rc (want 1)"
nothing_changed "QA in the first place"
pass "refused with nothing changed: invalid config, same person twice, wrong password (audited), wrong role"

# --- supervisor + QA: version 2, taken into use by the running engine -------
printf 'sam\nsam-pass-1\nperformed\nPT scale fixed\nquinn\nquinn-pass-1\napproved\nreviewed\n' |
    J config apply >"$T/out" 2>"$T/err" || fail "apply exit $?: $(cat "$T/err")"
grep -q "Configuration version 2 is now in use" "$T/out" || fail "apply output: $(cat "$T/out")"
is_current 2 || fail "CURRENT is $(current) after apply"
cmp -s "$CFG/devices.json" "$VERS/0002/devices.json" || fail "version 2 is not the config dir"
applied() { grep '"event":"config_applied"' "$LOG" | grep -q "\"version\":$1"; }
wait_until 50 applied 2 || fail "the running engine did not take version 2 into use"
jq -e '.kind == "apply" and .previous == 1 and ([.signatures[].user] == ["sam", "quinn"])' \
    "$VERS/0002/manifest.json" >/dev/null || fail "manifest 2: $(cat "$VERS/0002/manifest.json")"
seq=$(jq .audit_seq "$VERS/0002/manifest.json")
spool_sql "$ST/spool.db" "SELECT payload FROM audit_log WHERE kind = 'config_apply'" >"$T/ev.json"
[ "$(events "WHERE kind = 'config_apply' AND seq = $seq")" -eq 1 ] || fail "manifest audit_seq $seq is not the config_apply event"
jq -e --arg p "$POINT" --arg path "\$.points[$IDX].scale" '
    .action.old_version == 1 and .action.new_version == 2
    and ([.signatures[].user] == ["sam", "quinn"])
    and ([.signatures[].meaning] == ["performed", "approved"])
    and (.action.diff | length == 1) and .action.diff[0].path == $path
    and ([.action.old["devices.json"].points[] | select(.id == $p)][0].scale == 0.1)
    and ([.action.new["devices.json"].points[] | select(.id == $p)][0].scale == 0.01)
    and (.action.files["devices.json"].old_sha256 != .action.files["devices.json"].new_sha256)' \
    "$T/ev.json" >/dev/null || fail "config_apply event: $(head -c 600 "$T/ev.json")"
sleep 1.2
J status --json >"$T/st1.json"
jq -e '.config_generation == 1 and (.config_status | test("version 2"))' "$T/st1.json" >/dev/null ||
    fail "status after apply: $(jq -c '{config_generation, config_status}' "$T/st1.json")"
J config diff >/dev/null; [ $? -eq 0 ] || fail "config diff after apply: not 0"
printf 'x\n' | J config apply >/dev/null 2>"$T/err"; [ $? -eq 1 ] || fail "apply with no difference: not refused"
grep -q "nothing to apply" "$T/err" || fail "no difference: $(cat "$T/err")"
J audit verify >"$T/verify" 2>&1 || fail "audit verify after apply: $(cat "$T/verify")"
pass "supervisor + QA: version 2, engine reloads it, config_apply holds signatures, contents, diff"

# --- rollback to version 1 ---------------------------------------------------
printf 'sam\nsam-pass-1\n\nback to v1\nquinn\nquinn-pass-1\n\nok\n' |
    J config rollback 1 >"$T/out" 2>"$T/err" || fail "rollback exit $?: $(cat "$T/err")"
is_current 3 || fail "CURRENT is $(current) after rollback"
for f in app.json devices.json; do
    cmp -s "$VERS/0001/$f" "$VERS/0003/$f" || fail "version 3 $f is not version 1's"
done
cmp -s "$VERS/0002/devices.json" "$CFG/devices.json" || fail "version 2 was rewritten"
wait_until 50 applied 3 || fail "the running engine did not take version 3 into use"
jq -e '.kind == "rollback" and .rollback_to == 1 and .previous == 2' "$VERS/0003/manifest.json" >/dev/null ||
    fail "manifest 3: $(cat "$VERS/0003/manifest.json")"
spool_sql "$ST/spool.db" "SELECT payload FROM audit_log WHERE kind = 'config_rollback'" >"$T/rb.json"
jq -e '.action.rollback_to == 1 and .action.old_version == 2 and .action.new_version == 3
    and (.signatures | length == 2)' "$T/rb.json" >/dev/null || fail "config_rollback event"
J config rollback 3 >/dev/null 2>&1; [ $? -eq 1 ] || fail "rollback to the version in use: not refused"
J config rollback 9 >/dev/null 2>&1; [ $? -eq 1 ] || fail "rollback to no version: not refused"
J config rollback x >/dev/null 2>&1; [ $? -eq 2 ] || fail "rollback x: not a usage error"
J config versions --json >"$T/v.json" || fail "config versions --json"
jq -e '.current == 3 and ([.versions[].version] == [1, 2, 3])
    and ([.versions[].kind] == ["initial", "apply", "rollback"])' "$T/v.json" >/dev/null ||
    fail "versions: $(cat "$T/v.json")"
J config versions >"$T/v.txt" || fail "config versions"
grep -qE '^\* +3 .*rollback to 1.*sam, quinn' "$T/v.txt" || fail "versions text: $(cat "$T/v.txt")"
pass "rollback 1: version 3 with version 1's content, engine reloads it, versions listed"

kill -TERM $RUN_PID
wait $RUN_PID || fail "run exited with $?"
CLEANUPS=""

# --- a restart runs the applied version, not the config dir ----------------
: >"$LOG"
J run -s 1 --duration 2 2>/dev/null || fail "second run"
grep '"event":"engine_start"' "$LOG" | grep -q '"config_version":3' || fail "restart did not run version 3"
logged '"event":"config_unapplied"' || fail "restart: the config dir's difference not said"
[ "$(events "WHERE kind = 'config_initial'")" -eq 1 ] || fail "restart made another initial version"
J audit verify >"$T/verify" 2>&1 || fail "audit verify at the end: $(cat "$T/verify")"
pass "restart runs version 3 and says the config dir differs"
exit 0
