#!/bin/sh
# test_console_apply.sh: change control in the console: R on an edited
# config dir shows its difference from the applied version, and applies it
# through both e-signature dialogs (doc/change-control.md).
#
# The demo plant on ports 15750..15755 (TUI_PORT_BASE 15730; no other test
# uses 1574x-1575x) at 120x35, cheap Argon2id, and the default policy for
# config_apply: two signatures, a supervisor or admin first, QA second.
# Users sam (supervisor) and quinn (qa) are made with `jope-smb user add`
# before the console starts, which makes the config dir version 1.  Then:
#   - PT-301's scale goes from 0.1 to 0.01 in the test's copy of
#     devices.json: the status line says the config dir differs, the key
#     bar and F1 call R "Apply config";
#   - R shows "Apply configuration" with the JSON path and 0.1 → 0.01; Esc
#     goes back with nothing audited;
#   - R, Enter: the first dialog names the action and the change; sam
#     signs; the second dialog refuses sam; quinn signs: the console takes
#     version 2 into use (config_applied with version 2 in the log), `config
#     versions` lists 2 signed by sam and quinn, and R is "Reload" again;
#   - F7: the config_apply event, its difference and both manifestations;
#   - the config dir edited again while the first dialog is open: the
#     engine refuses ("changed meanwhile"), nothing is applied; Esc in a
#     first dialog is audited as signature_cancelled;
#   - a bad port: R shows the located error (devices.json:LINE:COL:
#     $.connectors[0].port), Enter cannot apply it, CURRENT stays 2;
#   - quit, and `audit verify` of the whole trail.
TUI_NAME=console-apply
TUI_PORT_BASE=15730
TUI_COLS=120
TUI_LINES=35
. "$(dirname "$0")/tui_lib.sh"

POINT=PT-301
tui_config
grep -q "\"id\": *\"$POINT\"" "$TUI_CFG/devices.json" ||
    tui_fail "the demo config has no point $POINT"
sed -n "/\"id\": *\"$POINT\"/{n;p;}" "$TUI_CFG/devices.json" |
    grep -q '"scale": 0.1,' || tui_fail "$POINT has no scale 0.1 on its second line"
# app.json: the demo's, with cheap Argon2id (the default signature rules).
sed '$d' "$TUI_CFG/app.json" >"$TUI_DIR/app.json" &&
    cat >>"$TUI_DIR/app.json" <<'JSON' &&
	,
	"compliance": {"kdf": "interactive"}
}
JSON
    mv "$TUI_DIR/app.json" "$TUI_CFG/app.json" || tui_fail "cannot write app.json"
tui_check_config
tui_user sam supervisor sampass12 "Sam Supervisor"
tui_user quinn qa quinnpass1 "Quinn Quality"
cp "$TUI_CFG/devices.json" "$TUI_DIR/devices.v1"
IDX=$(grep -o '"id": *"[^"]*", *"name"[^{]*"device"' "$TUI_DIR/devices.v1" |
    grep -n "\"id\": *\"$POINT\"" | cut -d: -f1)
[ -n "$IDX" ] || tui_fail "cannot find the index of $POINT"
IDX=$((IDX - 1))
tui_pass "users sam (supervisor) and quinn (qa) added; $POINT is points[$IDX]"

VERS="$TUI_STATE/config-versions"
LOG="$TUI_STATE/jope-smb.log"
current() { cat "$VERS/CURRENT" 2>/dev/null; }

tui_start_sim
tui_start_console LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=
tui_wait_text 100 "Jope.SMB" || tui_fail "no console within 10 s"
tui_keys F3     # it opens on the Overview (F2)
tui_wait_text 100 "Device / point" || tui_fail "no device table within 10 s"
[ "$(current)" = 1 ] || tui_fail "the first start did not make version 1 (CURRENT '$(current)')"
tui_wait_bar 30 "R Reload" || tui_fail "the key bar does not offer 'R Reload'"
tui_capture | grep -qF "Config dir differs" && tui_fail "an unedited config dir is said to differ"
tui_pass "console up on version 1; R is Reload"

# --- an edited config dir: the status line and R say so ----------------
sed "/\"id\": *\"$POINT\"/{n;s/\"scale\": 0.1,/\"scale\": 0.01,/;}" \
    "$TUI_DIR/devices.v1" >"$TUI_DIR/devices.v2" ||
    tui_fail "cannot edit the scale"
cp "$TUI_DIR/devices.v2" "$TUI_CFG/devices.json"
tui_wait_text 60 "Config dir differs" ||
    tui_fail "the status line does not say the config dir differs within 6 s"
tui_wait_bar 30 "R Apply config" || tui_fail "the key bar does not offer 'R Apply config'"
tui_keys F1
tui_wait_text 30 "Apply config: the config dir's difference" ||
    tui_fail "F1 does not list R as Apply config"
tui_keys Escape
sleep 0.3
tui_pass "edited: the status line says so, R is 'Apply config' in the bar and F1"

DIFF="devices.json \$.points[$IDX].scale: 0.1 → 0.01"
tui_keys R
tui_wait_text 50 "Apply configuration" || tui_fail "R opens no 'Apply configuration' view"
screen=$(tui_capture)
for text in "$DIFF" "differs from the applied version 1 in 1 place" \
    "makes version 2 and needs 2 signatures" "Enter: sign and apply"; do
    printf '%s\n' "$screen" | grep -qF -- "$text" ||
        tui_fail "the apply view does not show '$text'"
done
tui_keybar | grep -qF "Enter Sign and apply" || tui_fail "the key bar offers no 'Enter Sign and apply'"
tui_check_width 120 || tui_fail "the apply view is wider than the window"
tui_keys Escape
sleep 0.5
tui_capture | grep -qF "Apply configuration" && tui_fail "Esc does not leave the apply view"
tui_pass "R: the difference $DIFF; Esc goes back"

# --- sam, then quinn ------------------------------------------------------
tui_keys R
tui_wait_text 50 "Apply configuration" || tui_fail "R opens no apply view the second time"
tui_keys Enter
tui_wait_text 30 "First signature (4-eyes)" ||
    tui_fail "Enter in the apply view opens no first signature dialog"
screen=$(tui_capture)
for text in "apply a configuration" "version 1 → 2: $DIFF" "User id:" \
    "Password:" "Reason:"; do
    printf '%s\n' "$screen" | grep -qF -- "$text" ||
        tui_fail "the first dialog does not show '$text'"
done
tui_sign sam sampass12 "$POINT scale fixed"
tui_wait_text 30 "Second signature (4-eyes)" ||
    tui_fail "sam's signature does not lead to the second dialog"
tui_capture | grep -qF "sam (performed)" || tui_fail "the second dialog does not name sam"
tui_keys -l sam
tui_keys Tab
tui_wait_text 30 "sam already signed first" || tui_fail "the second dialog takes sam again"
tui_keys Enter
sleep 0.3
tui_capture | grep -qF "Second signature (4-eyes)" ||
    tui_fail "Enter with sam again closed the second dialog"
tui_pass "sam signs first; the second dialog refuses sam"

tui_sign quinn quinnpass1 "reviewed against CR-118"
tui_wait_bar 100 "Configuration version 2" ||
    tui_fail "no report of version 2 within 10 s"
n=50
until grep -q '"event":"config_applied","version":2' "$LOG"; do
    n=$((n - 1))
    [ $n -gt 0 ] || tui_fail "the console did not take version 2 into use (no config_applied in the log)"
    sleep 0.1
done
[ "$(current)" = 2 ] || tui_fail "CURRENT is '$(current)', want 2"
cmp -s "$VERS/0002/devices.json" "$TUI_DIR/devices.v2" ||
    tui_fail "version 2's devices.json is not the edited one"
"$JOPE" -c "$TUI_CFG" --state-dir "$TUI_STATE" config versions \
    >"$TUI_DIR/versions.out" 2>&1 || tui_fail "config versions: $(cat "$TUI_DIR/versions.out")"
grep -E '^\* +2 .* apply .* sam, quinn$' "$TUI_DIR/versions.out" >/dev/null ||
    tui_fail "config versions does not list 2 by sam, quinn: $(cat "$TUI_DIR/versions.out")"
n=50
while tui_capture | grep -qF "Config dir differs"; do
    n=$((n - 1))
    [ $n -gt 0 ] || tui_fail "the status line still says the config dir differs"
    sleep 0.1
done
tui_pass "quinn signs: version 2 in use (config_applied), versions lists sam, quinn"

tui_keys F7
# The kind column, not a login's "for=config_apply" summary.
tui_wait_text 100 "│ config_apply" || tui_fail "F7 shows no config_apply event"
tui_capture | grep -F "config_apply" | grep -qF "version 1 → 2" ||
    tui_fail "the config_apply row does not say version 1 → 2"
tui_keys Home Enter
tui_wait_text 30 "Event " || tui_fail "Enter shows no event detail"
tui_keys End
sleep 0.5
screen=$(tui_capture)
for text in "Sam Supervisor (sam) — performed — " "reason: $POINT scale fixed" \
    "Quinn Quality (quinn) — approved — " "reason: reviewed against CR-118" \
    "Chain: intact"; do
    printf '%s\n' "$screen" | grep -qF -- "$text" ||
        tui_fail "the config_apply detail does not show '$text'"
done
tui_keys Home
sleep 0.3
tui_capture | grep -qF "$DIFF" || tui_fail "the config_apply detail does not show the difference"
tui_keys Escape
tui_keys F3
tui_wait_text 30 "Device / point" || tui_fail "F3 does not go back"
tui_pass "F7: config_apply with its difference and both manifestations"

# --- changed between the view and the signatures: refused ------------------
sed 's/"name": "Zone pressures"/"name": "Zone pressures (rack B)"/' \
    "$TUI_DIR/devices.v2" >"$TUI_CFG/devices.json"
tui_wait_text 60 "Config dir differs" || tui_fail "the renamed device is not noticed"
tui_keys R
tui_wait_text 50 "(rack B)" || tui_fail "R does not show the new name"
tui_keys Enter
tui_wait_text 30 "First signature (4-eyes)" || tui_fail "no first dialog for the rename"
sed 's/"name": "Zone pressures"/"name": "Zone pressures (rack C)"/' \
    "$TUI_DIR/devices.v2" >"$TUI_CFG/devices.json"
tui_sign sam sampass12 "rename"
tui_wait_text 30 "Second signature (4-eyes)" || tui_fail "no second dialog for the rename"
tui_sign quinn quinnpass1 "rename checked"
tui_wait_text 100 "changed meanwhile; look again" ||
    tui_fail "a config dir changed since it was shown is not refused"
tui_capture | grep -qF "Not signed" || tui_fail "no 'Not signed' box"
tui_keys Escape
[ "$(current)" = 2 ] || tui_fail "a changed config dir was applied (CURRENT '$(current)')"
tui_keys R
tui_wait_text 50 "(rack C)" || tui_fail "R does not show the latest name"
tui_keys Enter
tui_wait_text 30 "First signature (4-eyes)" || tui_fail "no first dialog for Esc"
tui_keys Escape
tui_wait_bar 30 "Signature cancelled" || tui_fail "Esc in the first dialog says nothing"
tui_keys F7
tui_wait_text 50 "signature_cancelled" || tui_fail "F7 shows no signature_cancelled event"
[ "$(tui_capture | grep -cF "signature_cancelled")" -eq 1 ] ||
    tui_fail "not exactly one signature_cancelled (Esc in the view is audited?)"
tui_keys F3
tui_pass "changed after it was shown: refused, nothing applied; Esc in a dialog audited once"

# --- an invalid config dir: the errors, and no way to apply it ------------
sed 's/"port": 15750/"port": 99999/' "$TUI_DIR/devices.v2" >"$TUI_CFG/devices.json"
grep -q '"port": 99999' "$TUI_CFG/devices.json" || tui_fail "cannot break the port"
tui_wait_text 60 "Config dir invalid" || tui_fail "the status line does not say the config dir is invalid"
tui_keys R
tui_wait_text 50 "Apply configuration" || tui_fail "R opens no view of the invalid config dir"
screen=$(tui_capture)
printf '%s\n' "$screen" | grep -qE 'devices\.json:[0-9]+:[0-9]+: \$\.connectors\[0\]\.port: ' ||
    tui_fail "the view does not locate the bad port"
printf '%s\n' "$screen" | grep -qF "cannot be applied" || tui_fail "the view does not say it cannot be applied"
tui_keybar | grep -qF "Sign and apply" && tui_fail "the key bar offers to apply an invalid config"
tui_keys Enter
tui_wait_text 30 "An invalid configuration cannot be applied" ||
    tui_fail "Enter on an invalid config says nothing"
tui_capture | grep -qF "First signature" && tui_fail "Enter on an invalid config asks for signatures"
tui_keys Escape
sleep 0.3
[ "$(current)" = 2 ] || tui_fail "CURRENT moved with an invalid config dir ('$(current)')"
tui_pass "invalid port: located error, cannot be applied, version 2 stays"

tui_keys q
tui_wait_text 30 "Quit the console?" || tui_fail "q does not ask to quit"
tui_keys y
n=50
while tui_alive; do
    n=$((n - 1))
    [ $n -gt 0 ] || tui_fail "the console is still running 5 s after y"
    sleep 0.1
done
rc=$(cat "$TUI_DIR/rc" 2>/dev/null)
[ "$rc" = 0 ] || tui_fail "console exit status '$rc' (want 0): $(cat "$TUI_DIR/console.err")"
grep -qF "sampass12" "$LOG" && tui_fail "a password is in the log"
"$JOPE" -c "$TUI_CFG" --state-dir "$TUI_STATE" audit verify >"$TUI_DIR/verify.out" 2>&1 ||
    tui_fail "audit verify after the session: $(cat "$TUI_DIR/verify.out")"
tui_pass "quit; no password in the log; audit verify: $(head -n 1 "$TUI_DIR/verify.out")"
exit 0
