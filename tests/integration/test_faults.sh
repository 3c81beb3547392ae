#!/bin/sh
# test_faults.sh: the collection engine survives every fault of one device.
#
# Nine cases run in parallel, each with its own copy of the demo plant (ports
# 15500 + 10 * case, in the 15500..15699 range kept for test_rtu.sh and this
# test), its own simulator and its own state dir.  In the copy every
# connector times out after 400 ms, and the valve is moved onto the feed's
# connector, so the faulty device ("feed", a device fault: --fault feed:...)
# shares its line with a healthy one.  `jope-smb run -n 0.5 -s 0.2 -r 2 -d 2`
# collects for 5 s; then, for every case:
#   - the engine exited 0 (it survived the fault);
#   - collection_errors holds records of the feed with the code the fault
#     must produce (driver.h: 1 connect_refused, 2 timeout, 3 exception with
#     the exception code as detail, 4 crc, 5 malformed, 6 io), and no other
#     (but the cancellations of tasks still queued at the stop);
#   - every point of every healthy device has good samples, and no healthy
#     device has an error, not even the valve on the feed's own line;
#   - mismatch: the feed has no sample at all, since no reply to another
#     request may be taken for the answer; late: every sample of the feed
#     is within what the simulator serves for that very point.
# The last case injects "feed:drop" through the simulator's control file
# while the engine runs (once the feed has collected), then clears it (once
# the feed has timed out), and wants the feed to collect again after; it
# runs 9 s, so the whole file takes about 10 s.
. "$(dirname "$0")/../lib.sh"
need jq
need sqlite3

# name, fault (- for none), SQL condition on the feed's error records ("_"
# for a blank).  Random bytes are almost always a reply with a wrong
# transaction id (5), but a random function code can make libmodbus wait
# for more bytes than came (2).
CASES='garbage garbage code_IN_(2,5)
close close code=6
slow slow=1500 code=2
drop drop code=2
exc2 exception=2 code=3_AND_detail=2
exc4 exception=4 code=3_AND_detail=4
mismatch mismatch code=5
late late=1500 code=2
control - code=2'
# Tasks still queued when the engine stops are recorded as cancelled (8):
# the only error a device may have that its fault does not explain.
STOPPED="code=8 AND description='executor stopping'"
FAULTY=feed
RUN_S=5
CONTROL_RUN_S=9     # the control case waits for the engine: more time

# Points of the demo plant, with the range the simulator can serve:
# id device low high
jq -r '.points[] | [.id, .device,
        ((.sim.base // 0) - ((.sim.amplitude // 0) | fabs)
         - 6 * (.sim.noise // 0) - ((.scale // 1) | fabs) - 0.001),
        ((.sim.base // 0) + ((.sim.amplitude // 0) | fabs)
         + 6 * (.sim.noise // 0) + ((.scale // 1) | fabs) + 0.001)]
       | @tsv' "$top_srcdir/config/demo/devices.json" >"$T/points.tsv" ||
    fail "cannot read the demo points"

FAULTY_POINTS=$(awk -F '\t' -v d="$FAULTY" '$2 == d { printf "%s\x27%s\x27",
    n++ ? ", " : "", $1 }' "$T/points.tsv")
[ -n "$FAULTY_POINTS" ] || fail "the demo plant has no points on $FAULTY"

PIDS=""
kill_all() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
}
CLEANUPS="kill_all"

# make_config DIR OFFSET: the demo plant, 400 ms timeouts, valve on sim-feed,
# no inference host.
make_config() {
    copy_config "$top_srcdir/config/demo" "$1" "$2"
    jq '.connectors |= (map(select(.id != "sim-valve"))
                        | map(.timeout_ms = 400))
        | .devices |= map(if .id == "valve" then .connector = "sim-feed"
                          else . end)' "$1/devices.json" >"$1/devices.new" &&
        mv "$1/devices.new" "$1/devices.json"
    # Modbus faults only: nine inference hosts starting at once under a
    # sanitizer could miss a first 200 ms deadline (test_inference.sh
    # covers the inference link).
    jq 'del(.inference)' "$1/app.json" >"$1/app.new" && mv "$1/app.new" "$1/app.json"
}

# start_case_sim DIR FAULT: the simulator, with the fault or a control file.
start_case_sim() {
    if [ "$2" = - ]; then
        : >"$1/control"
        "$SIM" -c "$1/config" --ready-file "$1/ready" --control "$1/control" \
            >"$1/sim.out" 2>"$1/sim.err" &
    else
        "$SIM" -c "$1/config" --ready-file "$1/ready" --fault "$FAULTY:$2" \
            >"$1/sim.out" 2>"$1/sim.err" &
    fi
    echo $! >"$1/sim.pid"
}

# spool_count TENTHS DIR SQL: wait until the count SQL returns is >= 1 in
# DIR's spool, which the running engine writes (readers do not block it).
spool_count() {
    k=0
    while [ $k -lt "$1" ]; do
        c=$(spool_sql "$2/state/spool.db" "$3" 2>/dev/null)
        [ "${c:-0}" -ge 1 ] && return 0
        sleep 0.1
        k=$((k + 1))
    done
    return 1
}

# run_case NAME FAULT INDEX: simulator + engine, results in $T/NAME.
run_case() {
    d="$T/$1"
    mkdir -p "$d"
    make_config "$d/config" $((480 + 10 * $3))
    start_case_sim "$d" "$2"
    sim=$(cat "$d/sim.pid")
    n=0
    while [ ! -e "$d/ready" ] && [ $n -lt 100 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    if [ ! -e "$d/ready" ]; then
        echo "simulator not ready" >"$d/setup.err"
        kill "$sim" 2>/dev/null
        return
    fi
    secs=$RUN_S
    [ -e "$d/control" ] && secs=$CONTROL_RUN_S
    "$JOPE" run -c "$d/config" --state-dir "$d/state" --duration $secs \
        -n 0.5 -s 0.2 -r 2 -d 2 2>"$d/run.err" &
    run=$!
    if [ -e "$d/control" ]; then
        # Inject once the feed has collected, clear once it has timed out;
        # remember when, in microseconds.
        spool_count 40 "$d" "SELECT count(*) FROM samples
            WHERE point_id IN ($FAULTY_POINTS)"
        echo "$FAULTY:drop" >"$d/control"
        kill -USR1 "$sim"
        echo $(($(date +%s%N) / 1000)) >"$d/inject_us"
        spool_count 40 "$d" "SELECT count(*) FROM collection_errors
            WHERE device_id='$FAULTY' AND code=2"
        echo "$FAULTY:clear" >"$d/control"
        kill -USR1 "$sim"
        echo $(($(date +%s%N) / 1000)) >"$d/clear_us"
    fi
    wait "$run"
    echo $? >"$d/rc"
    kill "$sim" 2>/dev/null
    wait "$sim" 2>/dev/null
}

start=$(date +%s)
i=0
while read -r name fault cond; do
    run_case "$name" "$fault" "$i" &
    PIDS="$PIDS $!"
    i=$((i + 1))
done <<EOF
$CASES
EOF
for p in $PIDS; do wait "$p" 2>/dev/null || true; done
# The sims are children of the case shells; make sure none outlives them.
PIDS=$(cat "$T"/*/sim.pid 2>/dev/null)
kill_all
echo "# $(echo "$CASES" | wc -l) cases in parallel: $(($(date +%s) - start)) s"

failures=0
bad() { echo "not ok - $*"; failures=$((failures + 1)); }

# check_case NAME FAULT CONDITION
check_case() {
    d="$T/$1"
    db="$d/state/spool.db"
    cond=$(echo "$3" | tr _ ' ')
    if [ -e "$d/setup.err" ]; then
        bad "$1: $(cat "$d/setup.err"): $(cat "$d/sim.err")"
        return
    fi
    rc=$(cat "$d/rc" 2>/dev/null)
    [ "$rc" = 0 ] || { bad "$1: engine exit status ${rc:-none} (want 0):" \
        "$(tail -3 "$d/run.err")"; return; }

    n=$(spool_sql "$db" "SELECT count(*) FROM collection_errors
        WHERE device_id='$FAULTY' AND $cond")
    if [ "$n" -eq 0 ]; then
        bad "$1: no error of $FAULTY with $cond; it has:" \
            "$(spool_sql "$db" "SELECT code, detail, description, count(*)
                FROM collection_errors WHERE device_id='$FAULTY'
                GROUP BY 1, 2, 3" | tr '\n' ' ')"
        return
    fi

    other=$(spool_sql "$db" "SELECT code, detail, description
        FROM collection_errors WHERE device_id='$FAULTY' AND NOT ($cond)
        AND NOT ($STOPPED) LIMIT 3")
    [ -z "$other" ] || { bad "$1: $FAULTY has other errors: $other"; return; }
    others=$(spool_sql "$db" "SELECT device_id, code, description
        FROM collection_errors WHERE device_id <> '$FAULTY'
        AND NOT ($STOPPED) LIMIT 3")
    [ -z "$others" ] || {
        bad "$1: healthy devices have errors: $others"
        return; }
    missing=""
    while IFS="$(printf '\t')" read -r id dev lo hi; do
        [ "$dev" = "$FAULTY" ] && continue
        good=$(spool_sql "$db" "SELECT count(*) FROM samples
            WHERE point_id='$id' AND quality=0")
        [ "$good" -ge 1 ] || missing="$missing $id"
    done <"$T/points.tsv"
    [ -z "$missing" ] || {
        bad "$1: healthy points without samples:$missing"
        return; }

    case $1 in
    mismatch)
        s=$(spool_sql "$db" "SELECT count(*) FROM samples
            WHERE point_id IN ($FAULTY_POINTS)")
        [ "$s" -eq 0 ] || {
            bad "$1: $s samples of $FAULTY taken from mismatched replies"
            return; } ;;
    late)
        wrong=""
        while IFS="$(printf '\t')" read -r id dev lo hi; do
            [ "$dev" = "$FAULTY" ] || continue
            w=$(spool_sql "$db" "SELECT count(*) FROM samples
                WHERE point_id='$id' AND NOT (value BETWEEN $lo AND $hi)")
            [ "$w" -eq 0 ] || wrong="$wrong $id($w)"
        done <"$T/points.tsv"
        [ -z "$wrong" ] || { bad "$1: implausible samples:$wrong"; return; } ;;
    control)
        inj=$(cat "$d/inject_us") clr=$(cat "$d/clear_us")
        before=$(spool_sql "$db" "SELECT count(*) FROM samples
            WHERE point_id IN ($FAULTY_POINTS) AND ts_us < $inj")
        after=$(spool_sql "$db" "SELECT count(*) FROM samples
            WHERE point_id IN ($FAULTY_POINTS) AND ts_us > $clr")
        during=$(spool_sql "$db" "SELECT count(*) FROM collection_errors
            WHERE device_id='$FAULTY' AND code=2 AND ts_us > $inj")
        applied=$(grep -c "^control .*: applied" "$d/sim.out")
        [ "$before" -ge 1 ] && [ "$after" -ge 1 ] && [ "$during" -ge 1 ] &&
            [ "$applied" -ge 2 ] || {
            bad "$1: samples before $before, timeouts during $during," \
                "samples after $after, control applied $applied times"
            return; } ;;
    esac
    echo "ok - $1 ($2): survived, $n errors with $cond, healthy devices" \
        "collected"
}

while read -r name fault cond; do
    check_case "$name" "$fault" "$cond"
done <<EOF
$CASES
EOF
[ $failures -eq 0 ] || fail "$failures fault case(s) failed"
exit 0
