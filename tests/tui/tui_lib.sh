# tests/tui/tui_lib.sh: helpers of the console's tmux tests (sourced).
#
# A TUI test drives the real console in a detached tmux session on a
# private tmux socket, against the simulator on loopback ports private to
# that test, and reads the screen back with capture-pane.  Everything that
# waits is bounded; everything started is stopped by the EXIT trap, so a
# failing assertion never leaves a tmux server or a simulator behind.
#
# Set before sourcing: TUI_NAME (socket and temp names), TUI_PORT_BASE
# (the demo's ports N are moved to TUI_PORT_BASE + N % 100).

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
JOPE="$top_builddir/jope-smb"
SIM="$top_builddir/jope-smb-sim"

command -v tmux >/dev/null 2>&1 || { echo "SKIP: tmux is not installed" >&2; exit 77; }

# tmux and the helpers below read UTF-8; the console gets its own locale.
export LC_ALL=C.UTF-8 LANGUAGE=

TUI_DIR=$(mktemp -d "${TMPDIR:-/tmp}/jope-$TUI_NAME.XXXXXX")
TUI_SOCK="jope-$TUI_NAME-$$"
TUI_CFG="$TUI_DIR/cfg"
TUI_STATE="$TUI_DIR/state"
TUI_SIM_PID=""

tui_cleanup() {
    tmux -L "$TUI_SOCK" kill-server >/dev/null 2>&1 || true
    if [ -n "$TUI_SIM_PID" ]; then
        kill "$TUI_SIM_PID" 2>/dev/null || true
        wait "$TUI_SIM_PID" 2>/dev/null || true
    fi
    rm -rf "$TUI_DIR"
}
trap tui_cleanup EXIT
trap 'exit 1' INT TERM HUP

tui_fail() {
    echo "FAIL: $*" >&2
    if [ -f "$TUI_DIR/last" ]; then
        echo "--- last screen ---" >&2
        cat "$TUI_DIR/last" >&2
    fi
    for f in "$TUI_DIR/sim.log" "$TUI_STATE/jope-smb.log" "$TUI_DIR/console.err"; do
        [ -f "$f" ] && { echo "--- $f (tail) ---" >&2; tail -n 15 "$f" >&2; }
    done
    exit 1
}
tui_pass() { echo "ok - $*"; }

# The demo configuration with every TCP port moved to the test's range.
tui_config() {
    mkdir -p "$TUI_CFG" "$TUI_STATE"
    cp "$top_srcdir/config/demo/"*.json "$TUI_CFG/" || tui_fail "no demo config"
    ports=$(grep -o '"port"[[:space:]]*:[[:space:]]*[0-9]*' \
        "$TUI_CFG/devices.json" | grep -o '[0-9]*$' | sort -u)
    [ -n "$ports" ] || tui_fail "no ports in the demo config"
    expr=""
    for p in $ports; do
        np=$((TUI_PORT_BASE + p % 100))
        expr="$expr -e s/\"port\"\([[:space:]]*:[[:space:]]*\)$p\([^0-9]\)/\"port\"\1$np\2/"
    done
    # shellcheck disable=SC2086
    sed $expr "$TUI_CFG/devices.json" >"$TUI_DIR/devices.json" &&
        mv "$TUI_DIR/devices.json" "$TUI_CFG/devices.json" ||
        tui_fail "cannot rewrite ports"
    # The simulator's inference server moves with them.
    jq --argjson base "$TUI_PORT_BASE" \
        'if .inference.endpoint then .inference.endpoint |=
            sub(":(?<p>[0-9]+)$"; ":\($base + ((.p | tonumber) % 100))")
         else . end' "$TUI_CFG/app.json" >"$TUI_DIR/app.json" &&
        mv "$TUI_DIR/app.json" "$TUI_CFG/app.json" ||
        tui_fail "cannot move the inference endpoint"
    # The ids of the demo devices: the objects that name a connector.
    TUI_DEVICES=$(sed -n \
        's/.*"id"[[:space:]]*:[[:space:]]*"\([^"]*\)".*"connector".*/\1/p' \
        "$TUI_CFG/devices.json")
    [ -n "$TUI_DEVICES" ] || tui_fail "no devices in the demo config"
}

tui_start_sim() {
    "$SIM" -c "$TUI_CFG" --ready-file "$TUI_DIR/sim.ready" \
        >"$TUI_DIR/sim.log" 2>&1 &
    TUI_SIM_PID=$!
    n=100
    while [ ! -f "$TUI_DIR/sim.ready" ]; do
        kill -0 "$TUI_SIM_PID" 2>/dev/null || tui_fail "simulator exited"
        n=$((n - 1))
        [ $n -gt 0 ] || tui_fail "simulator not ready within 10 s"
        sleep 0.1
    done
}

# tui_start_console ENV...: the console in a 100x30 tmux window (or
# TUI_COLS x TUI_LINES); its exit status lands in $TUI_DIR/rc when it ends.
tui_start_console() {
    tmux -L "$TUI_SOCK" -f /dev/null new-session -d -x "${TUI_COLS:-100}" \
        -y "${TUI_LINES:-30}" \
        "env TERM=screen $* '$JOPE' console -c '$TUI_CFG' \
        --state-dir '$TUI_STATE' 2>'$TUI_DIR/console.err'; \
        echo \$? >'$TUI_DIR/rc'" || tui_fail "cannot start tmux"
}

tui_capture() {
    tmux -L "$TUI_SOCK" capture-pane -p >"$TUI_DIR/last" 2>/dev/null
    cat "$TUI_DIR/last"
}

tui_keys() {
    tmux -L "$TUI_SOCK" send-keys "$@" >/dev/null 2>&1
}

tui_alive() {
    tmux -L "$TUI_SOCK" has-session >/dev/null 2>&1 && [ ! -f "$TUI_DIR/rc" ]
}

# tui_wait_text TENTHS TEXT: until the screen shows TEXT (fixed string).
tui_wait_text() {
    n=$1
    while [ "$n" -gt 0 ]; do
        tui_capture | grep -qF -- "$2" && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

# The table rows of a capture (they hold the column separator), as
# "DEVICE<tab>VALUE" for point rows: which device each value belongs to.
# The device tree puts a line's row at column 1 ("▾ sim-pumps ..."), its
# devices' rows at column 3 ("▾ pumps ...") and their points' at column 7.
tui_point_values() {
    awk -F'│' '
        NF < 5 { next }
        /^   [^ ]/ { split($1, w, " "); dev = w[2]; next }
        /^     +[^ ]/ { v = $(NF - 1); gsub(/^ +| +$/, "", v); print dev "\t" v }
    '
}

# Devices of the demo that show at least one numeric value in a capture.
tui_devices_with_values() {
    tui_point_values | awk -F'\t' '$2 ~ /^-?[0-9]/ { print $1 }' | sort -u
}

# tui_wait_values TENTHS: until every demo device shows a numeric value
# (looking at the end of the table too when it does not fit).
tui_wait_values() {
    n=$1
    while [ "$n" -gt 0 ]; do
        tui_capture >"$TUI_DIR/top"
        tui_keys End
        sleep 0.2
        tui_capture >"$TUI_DIR/end"
        tui_keys Home
        cat "$TUI_DIR/top" "$TUI_DIR/end" | tui_devices_with_values \
            >"$TUI_DIR/have"
        missing=""
        for d in $TUI_DEVICES; do
            grep -qx -- "$d" "$TUI_DIR/have" || missing="$missing $d"
        done
        [ -z "$missing" ] && return 0
        sleep 0.3
        n=$((n - 5))
    done
    echo "devices without values:$missing" >&2
    return 1
}

# Display widths, separator columns and line lengths of a capture, from
# python3's East Asian Width table, or wc -L when there is no python3.
tui_width_report() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c '
import sys, unicodedata
def width(s):
    w = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return w
for line in sys.stdin.read().split("\n"):
    cols = []
    for i, ch in enumerate(line):
        if ch == "\u2502":
            cols.append(str(width(line[:i])))
    print(width(line), " ".join(cols))
'
    else
        while IFS= read -r line; do
            w=$(printf '%s' "$line" | wc -L)
            cols=""
            rest=$line
            pre=""
            while :; do
                case $rest in
                *│*) ;;
                *) break ;;
                esac
                pre="$pre${rest%%│*}"
                cols="$cols $(printf '%s' "$pre" | wc -L)"
                pre="$pre│"
                rest=${rest#*│}
            done
            echo "$w$cols"
        done
    fi
}

# tui_check_screen MAXCOLS: no line wider than MAXCOLS, and every table row
# puts its column separators in the same display columns as the head.
tui_check_screen() {
    tui_capture | tui_width_report >"$TUI_DIR/widths"
    awk -v max="$1" '
        $1 > max { print "line " NR " is " $1 " columns wide"; bad = 1 }
        NF > 1 {
            seps = $0; sub(/^[0-9]+ /, "", seps)
            if (ref == "") ref = seps
            else if (seps != ref) {
                print "line " NR ": separators at " seps ", head at " ref
                bad = 1
            }
        }
        END { exit bad }
    ' "$TUI_DIR/widths"
}

# The function-key bar: the last line of a capture (keys, then a message).
tui_keybar() {
    tui_capture | tail -n 1
}

# tui_wait_bar TENTHS TEXT [NOT]: until the function-key bar shows TEXT
# (fixed string) and, when given, not NOT.
tui_wait_bar() {
    n=$1
    while [ "$n" -gt 0 ]; do
        bar=$(tui_keybar)
        if printf '%s\n' "$bar" | grep -qF -- "$2"; then
            [ -z "${3:-}" ] && return 0
            printf '%s\n' "$bar" | grep -qF -- "$3" || return 0
        fi
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

# tui_row_value ID: the value cell of point ID's row in a capture (stdin).
tui_row_value() {
    awk -F'│' -v id="$1" '
        NF < 5 { next }
        { split($1, w, " ") }
        w[1] == id { v = $(NF - 1); gsub(/^ +| +$/, "", v); print v; exit }
    '
}

# tui_select ID: select the table row of line, device or point ID (its
# first word after the tree's ▾ or ▸), counting rows from the top after
# Home.  The row must be on the first page; fails the test otherwise.
tui_select() {
    tui_keys Home
    sleep 0.3
    line=$(tui_capture | awk -F'│' -v id="$1" '
        NF < 5 { next }
        { split($1, w, " "); row++ }
        w[1] ~ /^(▾|▸)$/ { w[1] = w[2] }
        row > 1 && w[1] == id { print row - 2; exit }
    ')
    [ -n "$line" ] || tui_fail "no table row for '$1' on the first page"
    while [ "$line" -gt 0 ]; do
        tui_keys Down
        line=$((line - 1))
    done
    sleep 0.3
}

# tui_check_width MAXCOLS: no line of the screen wider than MAXCOLS (for
# screens with a dialog, whose frame breaks the separator check).
tui_check_width() {
    tui_capture | tui_width_report |
        awk -v max="$1" '$1 > max { print "line " NR " is " $1 " columns wide"; bad = 1 }
            END { exit bad }'
}

# tui_user NAME ROLE PASSWORD FULLNAME: add a user to the test's keystore
# with the CLI, before the console starts.  The first call makes the admin
# "ada" (password adminpass1) with --bootstrap, who then signs every
# addition.  Cheap Argon2id (JOPE_SMB_KDF=interactive) keeps tests fast.
tui_user() {
    if [ ! -f "$TUI_STATE/keystore.json" ]; then
        printf 'adminpass1\nadminpass1\n' | JOPE_SMB_KDF=interactive \
            "$JOPE" -c "$TUI_CFG" --state-dir "$TUI_STATE" user add ada \
            --full-name "Ada Admin" --role admin --bootstrap \
            >"$TUI_DIR/user.out" 2>&1 ||
            tui_fail "cannot bootstrap the admin: $(cat "$TUI_DIR/user.out")"
    fi
    printf '%s\n%s\nada\nadminpass1\nfor the TUI test\n' "$3" "$3" |
        JOPE_SMB_KDF=interactive "$JOPE" -c "$TUI_CFG" \
        --state-dir "$TUI_STATE" user add "$1" --full-name "$4" \
        --role "$2" >"$TUI_DIR/user.out" 2>&1 ||
        tui_fail "cannot add user $1: $(cat "$TUI_DIR/user.out")"
}

# tui_sign USER PASSWORD REASON: fill the open e-signature dialog from its
# first field (Up stops there) and press Enter; the meaning stays.
tui_sign() {
    tui_keys Up Up Up C-u
    tui_keys -l "$1"
    tui_keys Tab
    tui_keys -l "$2"
    tui_keys Tab Tab
    tui_keys -l "$3"
    tui_keys Enter
}

# The demo's PT-303 with an H limit of 12 bar and HH 30 (1 s delay): the
# simulated pressure raises an alarm, so the alarm list has a row.
tui_config_alarm_limit() {
    jq '.points |= map(if .id == "PT-303" then .alarms = {"h": 12, "hh": 30,
        "delay_s": 1} else . end)' "$TUI_CFG/devices.json" >"$TUI_DIR/d.json" &&
        mv "$TUI_DIR/d.json" "$TUI_CFG/devices.json" || tui_fail "cannot set the limit"
}

# The test's configuration passes check-config, or the test fails.
tui_check_config() {
    "$JOPE" check-config -c "$TUI_CFG" >"$TUI_DIR/check.out" 2>&1 ||
        tui_fail "the test's config is invalid: $(cat "$TUI_DIR/check.out")"
}

# tui_status: status --json into $TUI_DIR/st.json; fails the test when it
# exits non-zero or, with TUI_STATUS_ANY_EXIT=1, only when it writes no
# JSON at all.
tui_status() {
    if [ "${TUI_STATUS_ANY_EXIT:-0}" = 1 ]; then
        "$JOPE" status -c "$TUI_CFG" --state-dir "$TUI_STATE" --json \
            >"$TUI_DIR/st.json" 2>"$TUI_DIR/st.err"
        [ -s "$TUI_DIR/st.json" ] ||
            tui_fail "jope-smb status fails: $(cat "$TUI_DIR/st.err")"
    else
        "$JOPE" status -c "$TUI_CFG" --state-dir "$TUI_STATE" --json \
            >"$TUI_DIR/st.json" 2>"$TUI_DIR/st.err" ||
            tui_fail "jope-smb status fails: $(cat "$TUI_DIR/st.err")"
    fi
}

# tui_status_value JQ: the value of JQ (jq -r) in a fresh status.
tui_status_value() {
    tui_status
    jq -r "$1" "$TUI_DIR/st.json"
}

# tui_wait_status TENTHS JQ: until status says JQ is true.
tui_wait_status() {
    n=$1
    while [ "$n" -gt 0 ]; do
        tui_status
        jq -e "$2" "$TUI_DIR/st.json" >/dev/null 2>&1 && return 0
        sleep 0.5
        n=$((n - 5))
    done
    return 1
}
