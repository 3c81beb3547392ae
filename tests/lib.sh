# tests/lib.sh: helpers shared by the shell tests (sourced, not run).
#
# Every test gets a private temp dir, removed on exit, and starts the real
# programs from the build tree: the simulator on loopback ports private to
# that test, and jope-smb itself.  Loops that wait are bounded in count and
# time; nothing here sleeps longer than it must.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
JOPE="$top_builddir/jope-smb"
SIM="$top_builddir/jope-smb-sim"
export LC_ALL=C.UTF-8 LANGUAGE=

T=$(mktemp -d "${TMPDIR:-/tmp}/jope-test.XXXXXX")
SIM_PID=""
CLEANUPS=""

cleanup() {
    for c in $CLEANUPS; do eval "$c" >/dev/null 2>&1 || true; done
    if [ -n "$SIM_PID" ]; then
        kill "$SIM_PID" 2>/dev/null || true
        wait "$SIM_PID" 2>/dev/null || true
    fi
    rm -rf "$T"
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }
skip() { echo "SKIP: $*" >&2; exit 77; }
need() { command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed"; }

# wait_until TENTHS CMD...: run CMD every 0.1 s until it succeeds, at most
# TENTHS times; returns CMD's last status.
wait_until() {
    n=$1; shift
    while [ "$n" -gt 0 ]; do
        if "$@"; then return 0; fi
        sleep 0.1
        n=$((n - 1))
    done
    "$@"
}

# copy_config SRC DST OFFSET: a copy of a config dir whose TCP ports are
# moved by OFFSET, so that tests running in parallel never share a port.
# The demo uses 15020..15026 (six Modbus connectors and the inference
# host), so a test owns 15020+OFFSET..15026+OFFSET.  Taken (keep 10 apart,
# and clear of the PostgreSQL ports 15971..15981 and 15991):
#   offsets 400 collect, 700 reload, 820 config_apply, 860 historian_outage,
#   870 historian_kill, 880 historian_cut, 920 spool_limits, 940
#   historian_migrate, 1000 backup, 1200 audit, 1300 inference, 1500 alarms, 1580 bench,
#   1620 maint_forward (not 1600: 16620..16626 are the TUI alarms test's),
#   1650 batch_report, 1750 cli_troubleshoot (not 1700:
#   that is 16720..16726, the TUI maint test's);
#   TUI_PORT_BASE (tui_lib.sh: base + port % 100) 15200 console, 15300 zh,
#   15730 apply, 15760 historian, 16120 trends, 16400 sign, 16600 alarms,
#   16700 maint, 16800 batch, 16900 overview, 16950 langs, 17000 terminals,
#   17200 capture_screens (doc/screens, not a test);
#   15100..15199 sim_faults, 15500..15699 faults and rtu, 15810 rules;
#   17100..17121 bench_console (make bench).
copy_config() {
    mkdir -p "$2"
    cp "$1"/*.json "$2"/
    jq --argjson off "$3" \
        '.connectors |= map(if .port then .port += $off else . end)' \
        "$1/devices.json" > "$2/devices.json"
    # The inference endpoint's port moves with the others.
    jq --argjson off "$3" \
        'if .inference.endpoint then .inference.endpoint |=
            sub(":(?<p>[0-9]+)$"; ":\((.p | tonumber) + $off)") else . end' \
        "$1/app.json" > "$2/app.json"
}

# start_sim CONFIG_DIR [ARGS...]: start the simulator and wait until every
# listener is bound.
start_sim() {
    dir=$1; shift
    rm -f "$T/sim.ready"
    "$SIM" -c "$dir" --ready-file "$T/sim.ready" "$@" >"$T/sim.out" 2>&1 &
    SIM_PID=$!
    wait_until 100 test -e "$T/sim.ready" ||
        { cat "$T/sim.out" >&2; fail "simulator did not get ready"; }
}

stop_sim() {
    [ -n "$SIM_PID" ] || return 0
    kill "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
    SIM_PID=""
}

# use_catalogue: make the freshly built message catalogues visible without
# installing them (JOPE_SMB_LOCALEDIR overrides the compiled-in locale dir).
use_catalogue() {
    for lang in zh_TW; do
        for src in "$top_builddir/po/$lang.gmo" "$top_srcdir/po/$lang.gmo"; do
            if [ -f "$src" ]; then
                mkdir -p "$T/locale/$lang/LC_MESSAGES"
                cp "$src" "$T/locale/$lang/LC_MESSAGES/jope-smb.mo"
                break
            fi
        done
    done
    JOPE_SMB_LOCALEDIR="$T/locale"
    export JOPE_SMB_LOCALEDIR
}

has_zh_locale() {
    locale -a 2>/dev/null | grep -qi '^zh_TW\.utf-\?8$'
}

spool_sql() {
    sqlite3 -readonly "$1" "$2"
}
