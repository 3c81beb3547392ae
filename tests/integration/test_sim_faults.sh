#!/bin/sh
# test_sim_faults.sh: jope-smb-sim against a real socket, fault by fault.
#
# Starts the simulator on a small configuration of its own (ports 15160..15166,
# inside the 15100..15199 range kept for this test), waits for --ready-file,
# and talks raw Modbus TCP to it from a few lines of python3 (no pymodbus):
# a configured register reads back a plausible value, an address outside the
# points gets exception 02, an unknown unit 0B, and each --fault does what the
# man page says.  Then a second simulator on a taken port must fail with
# status 1 naming the port, and SIGTERM must stop the first within 2 s with
# status 0.  Self-contained on purpose: it does not use tests/lib.sh.
# Exit: 0 pass, 1 fail, 77 skip (python3 missing).

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
SIM=$top_builddir/jope-smb-sim

command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }
[ -x "$SIM" ] || { echo "FAIL: $SIM not built"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/jope-sim-faults.XXXXXX") || exit 1
sim_pid=
other_pid=
cleanup() {
	for p in $sim_pid $other_pid; do
		kill "$p" 2>/dev/null && sleep 0.2 && kill -9 "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

failures=0
pass() { echo "ok - $1"; }
fail() { echo "not ok - $1"; failures=$((failures + 1)); }

P_OK=15160 P_GARBAGE=15161 P_EXC=15162 P_CLOSE=15163 P_SLOW=15164
P_REFUSE=15165

cat >"$tmp/app.json" <<EOF
{ "site": "Sim fault test", "console_id": "sim-test" }
EOF
cat >"$tmp/devices.json" <<EOF
{
  "connectors": [
    { "id": "ok", "kind": "tcp", "host": "127.0.0.1", "port": $P_OK },
    { "id": "garbage", "kind": "tcp", "host": "127.0.0.1", "port": $P_GARBAGE },
    { "id": "exc", "kind": "tcp", "host": "127.0.0.1", "port": $P_EXC },
    { "id": "cut", "kind": "tcp", "host": "127.0.0.1", "port": $P_CLOSE },
    { "id": "slow", "kind": "tcp", "host": "127.0.0.1", "port": $P_SLOW },
    { "id": "refuse", "kind": "tcp", "host": "127.0.0.1", "port": $P_REFUSE }
  ],
  "devices": [
    { "id": "pump", "connector": "ok", "unit_id": 1 },
    { "id": "d-garbage", "connector": "garbage", "unit_id": 1 },
    { "id": "d-exc", "connector": "exc", "unit_id": 1 },
    { "id": "d-cut", "connector": "cut", "unit_id": 1 },
    { "id": "d-slow", "connector": "slow", "unit_id": 1 },
    { "id": "d-refuse", "connector": "refuse", "unit_id": 1 }
  ],
  "points": [
    { "id": "pump.flow", "device": "pump", "table": "holding_register",
      "address": 100, "type": "float32", "unit": "mL/min",
      "sim": { "wave": "sine", "base": 10, "amplitude": 2, "period_s": 30,
               "noise": 0.05 } },
    { "id": "pump.pressure", "device": "pump", "table": "input_register",
      "address": 0, "type": "int16", "scale": 0.01, "unit": "bar",
      "sim": { "wave": "constant", "base": 2.5 } },
    { "id": "pump.total", "device": "pump", "table": "holding_register",
      "address": 104, "type": "int32", "byte_order": "CDAB",
      "sim": { "wave": "constant", "base": -2 } },
    { "id": "pump.running", "device": "pump", "table": "coil",
      "address": 3, "type": "bool",
      "sim": { "wave": "constant", "base": 1 } },
    { "id": "g.x", "device": "d-garbage", "table": "holding_register",
      "address": 0, "type": "uint16", "sim": { "base": 7 } },
    { "id": "e.x", "device": "d-exc", "table": "holding_register",
      "address": 0, "type": "uint16", "sim": { "base": 7 } },
    { "id": "c.x", "device": "d-cut", "table": "holding_register",
      "address": 0, "type": "float32", "sim": { "base": 7 } },
    { "id": "s.x", "device": "d-slow", "table": "holding_register",
      "address": 0, "type": "uint16", "sim": { "base": 7 } },
    { "id": "r.x", "device": "d-refuse", "table": "holding_register",
      "address": 0, "type": "uint16", "sim": { "base": 7 } }
  ],
  "events": [
    { "id": "all", "period_ms": 1000, "devices": [ "pump" ] }
  ]
}
EOF

# A raw Modbus TCP client: mb.py PORT UNIT FC ADDR COUNT prints one of
#   ok HEXDATA SECONDS | exc CODE | invalid HEX | closed HEX | refused | timeout
cat >"$tmp/mb.py" <<'EOF'
import socket, struct, sys, time
port, unit, fc, addr, count = (int(a) for a in sys.argv[1:6])
tid = 0x1234
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
except ConnectionRefusedError:
    print("refused"); sys.exit(0)
t0 = time.monotonic()
s.sendall(struct.pack(">HHHBBHH", tid, 0, 6, unit, fc, addr, count))
buf = b""
while True:
    if len(buf) >= 4 and buf[2:4] != b"\0\0":
        print("invalid", buf.hex()); break
    if len(buf) >= 7:
        n = 6 + struct.unpack(">H", buf[4:6])[0]
        if len(buf) >= n:
            t, p, ln, u, f = struct.unpack(">HHHBB", buf[:8])
            if t != tid or u != unit or len(buf) != n:
                print("invalid", buf.hex())
            elif f == fc | 0x80 and n == 9:
                print("exc", buf[8])
            elif f == fc:
                print("ok", buf[8:n].hex(), "%.3f" % (time.monotonic() - t0))
            else:
                print("invalid", buf.hex())
            break
    try:
        d = s.recv(512)
    except socket.timeout:
        print("timeout" if not buf else "invalid " + buf.hex()); break
    if not d:
        print("closed", buf.hex()); break
    buf += d
s.close()
EOF
mb() { python3 "$tmp/mb.py" "$@"; }

# Wait (at most ~5 s) for a ready file, or for the process to die.
wait_ready() {
	i=0
	while [ $i -lt 50 ]; do
		[ -f "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Wait (at most $2 tenths of a second) for a process to end; its status in $rc.
wait_exit() {
	i=0
	while [ $i -lt "$2" ]; do
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1"
			rc=$?
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

"$SIM" -c "$tmp" --ready-file "$tmp/ready" --seed 7 \
    --fault garbage:garbage --fault exc:exception=4 --fault cut:close \
    --fault slow:slow=300 --fault refuse:refuse \
    >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim_pid=$!
if ! wait_ready "$tmp/ready" "$sim_pid"; then
	echo "FAIL: simulator not ready within 5 s"
	cat "$tmp/sim.out" "$tmp/sim.err"
	exit 1
fi

grep -q "listening on 127.0.0.1:$P_OK (connector ok, units 1)" "$tmp/sim.out" &&
    pass "announces its listeners" || fail "announces its listeners"

# float32 at 100: sine 10 +- 2 plus a little noise.
r=$(mb $P_OK 1 3 100 2)
v=$(echo "$r" | python3 -c 'import sys,struct
w=sys.stdin.read().split()
print(struct.unpack(">f", bytes.fromhex(w[1][2:]))[0] if w[0]=="ok" else "nan")')
python3 -c "import sys; sys.exit(0 if 7.5 <= float('$v') <= 12.5 else 1)" &&
    pass "float32 read is plausible ($v)" || fail "float32 read: $r"

# int16 scale 0.01, 2.5 bar: raw 250 = 0x00fa.
r=$(mb $P_OK 1 4 0 1)
[ "$r" = "ok 0200fa $(echo "$r" | cut -d' ' -f3)" ] &&
    pass "int16 input register" || fail "int16 input register: $r"

# int32 -2 in CDAB: low word first, ffff fffe -> fffe ffff.
r=$(mb $P_OK 1 3 104 2)
case $r in "ok 04fffeffff "*) pass "int32 CDAB" ;; *) fail "int32 CDAB: $r" ;; esac

r=$(mb $P_OK 1 1 3 1)
case $r in "ok 0101 "*) pass "coil" ;; *) fail "coil: $r" ;; esac

r=$(mb $P_OK 1 3 200 1)
[ "$r" = "exc 2" ] && pass "out of range gives 02" || fail "out of range: $r"
r=$(mb $P_OK 1 3 102 2)
[ "$r" = "exc 2" ] && pass "gap between points gives 02" || fail "gap: $r"
r=$(mb $P_OK 1 3 100 126)
[ "$r" = "exc 3" ] && pass "over 125 registers gives 03" || fail "quantity: $r"
r=$(mb $P_OK 9 3 100 2)
[ "$r" = "exc 11" ] && pass "unknown unit gives 0B" || fail "unknown unit: $r"

r=$(mb $P_GARBAGE 1 3 0 1)
case $r in invalid*) pass "garbage is not a reply" ;; *) fail "garbage: $r" ;; esac

r=$(mb $P_EXC 1 3 0 1)
[ "$r" = "exc 4" ] && pass "exception=4 gives 04" || fail "exception=4: $r"

# A 2-register read replies 13 bytes; "close" sends 6 of them.
r=$(mb $P_CLOSE 1 3 0 2)
case $r in "closed "????????????) pass "close cuts the reply" ;;
*) fail "close: $r" ;; esac

r=$(mb $P_SLOW 1 3 0 1)
s=$(echo "$r" | cut -d' ' -f3)
case $r in "ok 020007 "*) python3 -c "import sys; sys.exit(0 if $s >= 0.25 else 1)" &&
    pass "slow=300 delays ($s s)" || fail "slow: too fast $r" ;;
*) fail "slow: $r" ;; esac

r=$(mb $P_REFUSE 1 3 0 1)
[ "$r" = "refused" ] && pass "refuse does not listen" || fail "refuse: $r"

# Bad --fault: usage error, status 2.
"$SIM" -c "$tmp" --fault nosuch:garbage >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] && pass "unknown connector in --fault" || fail "--fault nosuch: status $rc"

# A port in use: status 1 and a message naming it.
"$SIM" -c "$tmp" --only ok >"$tmp/other.out" 2>"$tmp/other.err" &
other_pid=$!
if wait_exit "$other_pid" 50; then
	other_pid=
	if [ $rc -eq 1 ] && grep -q "$P_OK" "$tmp/other.err"; then
		pass "port in use: status 1, names the port"
	else
		fail "port in use: status $rc: $(cat "$tmp/other.err")"
	fi
else
	fail "port in use: second simulator did not exit"
fi

# SIGTERM: gone within 2 s, status 0, ready file removed.
kill -TERM "$sim_pid"
if wait_exit "$sim_pid" 20; then
	sim_pid=
	[ $rc -eq 0 ] && pass "SIGTERM: exit 0" || fail "SIGTERM: status $rc"
	[ ! -e "$tmp/ready" ] && pass "ready file removed" ||
	    fail "ready file left behind"
else
	fail "SIGTERM: still running after 2 s"
fi

if [ -s "$tmp/sim.err" ]; then
	echo "# simulator stderr:"
	sed 's/^/# /' "$tmp/sim.err"
fi
[ $failures -eq 0 ] || { echo "FAIL: $failures check(s) failed"; exit 1; }
exit 0
