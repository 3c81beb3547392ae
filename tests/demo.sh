#!/bin/sh
# demo.sh: `make demo`: the simulated plant on loopback and the console on it.
#
# Starts jope-smb-sim with config/demo, waits until it listens, then opens
# the console in this terminal with the local SQLite store (no PostgreSQL).
# Quitting the console stops the simulator too.  The state (spool, log,
# audit trail) goes to demo-state/ in the build dir, so a second demo
# continues the first, unless config/demo has changed since: the console
# runs only applied configurations (doc/change-control.md), and the demo has
# no signers to apply one, so it starts afresh and keeps the old state in
# demo-state.prev/.
builddir=$1
srcdir=$2
CFG="$srcdir/config/demo"
STATE="$builddir/demo-state"
READY="$STATE/sim.ready"

if [ -d "$STATE/config-versions" ] &&
    ! "$builddir/jope-smb" -c "$CFG" --state-dir "$STATE" config diff \
        >/dev/null 2>&1; then
    rm -rf "$STATE.prev"
    mv "$STATE" "$STATE.prev"
    echo "demo: config/demo changed since the last demo; its state is in" \
        "$STATE.prev" >&2
fi
mkdir -p "$STATE"
rm -f "$READY"

# Show the freshly built catalogues without installing them.
for lang in zh_TW; do
    for gmo in "$builddir/po/$lang.gmo" "$srcdir/po/$lang.gmo"; do
        if [ -f "$gmo" ]; then
            mkdir -p "$STATE/locale/$lang/LC_MESSAGES"
            cp "$gmo" "$STATE/locale/$lang/LC_MESSAGES/jope-smb.mo"
            break
        fi
    done
done
JOPE_SMB_LOCALEDIR="$STATE/locale"
export JOPE_SMB_LOCALEDIR

"$builddir/jope-smb-sim" -c "$CFG" --ready-file "$READY" \
    >"$STATE/sim.log" 2>&1 &
SIM_PID=$!
trap 'kill $SIM_PID 2>/dev/null; wait $SIM_PID 2>/dev/null' EXIT INT TERM

n=0
while [ ! -e "$READY" ]; do
    if ! kill -0 $SIM_PID 2>/dev/null || [ $n -ge 100 ]; then
        echo "demo: the simulator did not start:" >&2
        cat "$STATE/sim.log" >&2
        exit 1
    fi
    sleep 0.1
    n=$((n + 1))
done

"$builddir/jope-smb" console -c "$CFG" --state-dir "$STATE"
