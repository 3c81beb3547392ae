#!/bin/sh
# test_cli.sh: the command line: help, version, usage errors, check-config
# on good and bad configurations, status without an engine, the console's
# refusal without a terminal, and the Chinese catalogue.
. "$(dirname "$0")/../lib.sh"
need jq

"$JOPE" --help >"$T/help" || fail "--help exit $?"
for word in console run check-config status --keep-alive --guard --retries \
    --hard-error --threads --config-dir --state-dir; do
    grep -q -- "$word" "$T/help" || fail "--help does not mention $word"
done
pass "--help lists commands and options"

"$JOPE" --version | grep -q '^jope-smb [0-9]' || fail "--version"
pass "--version"

"$JOPE" frobnicate 2>"$T/err"; rc=$?
[ $rc -eq 2 ] || fail "unknown command exit $rc (want 2)"
grep -q frobnicate "$T/err" || fail "unknown command not named"
"$JOPE" -n abc check-config 2>"$T/err"; rc=$?
[ $rc -eq 2 ] || fail "bad -n exit $rc (want 2)"
grep -q "abc" "$T/err" || fail "bad value not named"
"$JOPE" --threads 0 check-config 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "--threads 0 exit $rc (want 2)"
pass "usage errors exit 2"

"$JOPE" check-config -c "$top_srcdir/config/demo" >"$T/out" || fail "demo config invalid: $(cat "$T/out")"
"$JOPE" check-config -c "$top_srcdir/config" >"$T/out" || fail "example config invalid: $(cat "$T/out")"
pass "shipped configurations are valid"

# Capacity planning: a guard so long that the shared oven line cannot keep
# up is a warning naming the line and the devices; the config stays valid.
"$JOPE" check-config -c "$top_srcdir/config" -s 40 >"$T/out" || fail "capacity warning changed the exit status"
grep -q 'warning: line oven-line: .*oven-a.*miss periods' "$T/out" || { cat "$T/out"; fail "no capacity warning for oven-line"; }
"$JOPE" check-config -c "$top_srcdir/config" -s 40 --json >"$T/out.json"
[ "$(jq '[.warnings[] | select(.connector == "oven-line")] | length' "$T/out.json")" -eq 2 ] || fail "--json warnings"
"$JOPE" check-config -c "$top_srcdir/config" >"$T/out"
! grep -q warning "$T/out" || fail "the shipped example has capacity warnings"
pass "capacity warnings"

# A config with several mistakes: every one listed as file:line:column.
mkdir -p "$T/bad"
cp "$top_srcdir/config/demo/app.json" "$T/bad/"
jq '.devices[0].connector = "no-such-line" | .points[0].address = 70000
    | .points[1].colour = "red"' "$top_srcdir/config/demo/devices.json" >"$T/bad/devices.json"
"$JOPE" check-config -c "$T/bad" >"$T/out"; rc=$?
[ $rc -eq 1 ] || fail "bad config exit $rc (want 1)"
n=$(grep -cE '^[^:]+/devices\.json:[0-9]+:[0-9]+: \$\.' "$T/out")
[ "$n" -ge 3 ] || { cat "$T/out"; fail "expected >= 3 located errors, got $n"; }
grep -q 'no-such-line' "$T/out" || fail "dangling connector not reported"
grep -q 'colour' "$T/out" || fail "unknown key not reported"
"$JOPE" check-config --json -c "$T/bad" >"$T/out.json"
[ "$(jq -r .valid "$T/out.json")" = false ] || fail "--json valid"
[ "$(jq '.errors | length' "$T/out.json")" -ge 3 ] || fail "--json errors"
pass "invalid config rejected with every error located"

# Nothing is applied: run refuses to start on it and creates no spool.
"$JOPE" run -c "$T/bad" --state-dir "$T/st-bad" --duration 1 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "run on bad config exit $rc (want 1)"
[ ! -e "$T/st-bad/spool.db" ] || fail "run on a bad config created a spool"
pass "nothing applied from an invalid config"

"$JOPE" status -c "$top_srcdir/config/demo" --state-dir "$T/empty"; rc=$?
[ $rc -eq 3 ] || fail "status on an empty state dir exit $rc (want 3)"
pass "status without an engine exits 3"

"$JOPE" console -c "$top_srcdir/config/demo" --state-dir "$T/c" </dev/null >"$T/out" 2>&1; rc=$?
[ $rc -eq 1 ] || fail "console without a terminal exit $rc (want 1)"
pass "console refuses to run without a terminal"

if has_zh_locale; then
    use_catalogue
    LC_ALL=zh_TW.UTF-8 "$JOPE" --help >"$T/help.zh"
    grep -q '用法' "$T/help.zh" || { head -3 "$T/help.zh"; fail "--help is not translated to zh_TW"; }
    LC_ALL=zh_TW.UTF-8 "$JOPE" check-config -c "$T/bad" >"$T/out.zh"
    grep -q 'no-such-line' "$T/out.zh" || fail "zh_TW error lost its detail"
    pass "zh_TW catalogue used"
else
    fail "no zh_TW.UTF-8 locale (autogen.sh generates it)"
fi
exit 0
