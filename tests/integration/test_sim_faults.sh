#!/bin/sh
# test_sim_faults.sh: jope-smb-sim against a real socket, fault by fault.
#
# Starts the simulator on a small configuration of its own (ports 15160..15168,
# inside the 15100..15199 range kept for this test), waits for --ready-file,
# and talks raw Modbus TCP to it from a few lines of python3 (no pymodbus):
# a configured register reads back a plausible value, an address outside the
# points gets exception 02, an unknown unit 0B, and each --fault does what the
# man page says.  A second simulator, on a second configuration, serves an
# RTU line on a pseudo-terminal and a TCP connector with three units, and is
# driven through its control file: device faults on one unit while the others
# answer, RTU framing and CRC both ways, every fault on RTU, TCP mismatch and
# late, the writable clock, the Raman spectrum block, a bad control file.
# Then a simulator on a taken port must fail with status 1 naming the port,
# one whose serial path is a plain file must leave it alone with status 1,
# and SIGTERM must stop the first within 2 s with status 0.  Self-contained on
# purpose: it does not use tests/lib.sh.
# Exit: 0 pass, 1 fail, 77 skip (python3 missing).

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
SIM=$top_builddir/jope-smb-sim

command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }
[ -x "$SIM" ] || { echo "FAIL: $SIM not built"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/jope-sim-faults.XXXXXX") || exit 1
sim_pid=
sim2_pid=
other_pid=
cleanup() {
	for p in $sim_pid $sim2_pid $other_pid; do
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

# --- RTU lines, device faults, control file, clock, spectrum ---------------
# A second simulator on a second configuration: connector "multi" (port
# 15167) with three devices, one of them a Raman gateway; an RTU line with
# two devices on a pseudo-terminal linked at $tmp/b/ttyS0; and a connector
# and a device that share the name "both".  dev-c starts with the fault
# "drop" from the control file; the other faults come and go through it.
P_MULTI=15167 P_BOTH=15168
B=$tmp/b
mkdir -p "$B"
cp "$tmp/app.json" "$B/app.json"
cat >"$B/devices.json" <<EOF
{
  "connectors": [
    { "id": "multi", "kind": "tcp", "host": "127.0.0.1", "port": $P_MULTI },
    { "id": "line", "kind": "rtu", "serial": "$B/ttyS0", "baud": 9600 },
    { "id": "both", "kind": "tcp", "host": "127.0.0.1", "port": $P_BOTH }
  ],
  "devices": [
    { "id": "dev-a", "connector": "multi", "unit_id": 1 },
    { "id": "Raman-Probe", "connector": "multi", "unit_id": 2 },
    { "id": "dev-c", "connector": "multi", "unit_id": 3 },
    { "id": "rtu-1", "connector": "line", "unit_id": 1 },
    { "id": "rtu-2", "connector": "line", "unit_id": 2 },
    { "id": "both", "connector": "both", "unit_id": 1 }
  ],
  "points": [
    { "id": "a.x", "device": "dev-a", "table": "holding_register",
      "address": 0, "type": "uint16", "sim": { "base": 7 } },
    { "id": "r.laser", "device": "Raman-Probe", "table": "input_register",
      "address": 0, "type": "float32", "sim": { "base": 450 } },
    { "id": "c.x", "device": "dev-c", "table": "holding_register",
      "address": 0, "type": "uint16", "sim": { "base": 9 } },
    { "id": "r1.x", "device": "rtu-1", "table": "holding_register",
      "address": 0, "type": "uint16", "sim": { "base": 11 } },
    { "id": "r2.x", "device": "rtu-2", "table": "input_register",
      "address": 5, "type": "int16", "sim": { "base": -3 } },
    { "id": "b.x", "device": "both", "table": "holding_register",
      "address": 0, "type": "uint16", "sim": { "base": 1 } }
  ],
  "events": [ { "id": "all", "period_ms": 1000, "devices": [ "dev-a" ] } ]
}
EOF

# mb2.py MODE ARGS: raw Modbus TCP and RTU for the checks below.
#   tcp PORT UNIT FC ADDR COUNT [WORDS...]  ok HEXDATA SECS | exc N | invalid
#                                           HEX | timeout (0.6 s)
#   rtu PATH HEXFRAME                       the bytes that came back (until
#                                           0.1 s of silence, 0.4 s at most)
#                                           as hex, or "none";
#                                           HEXFRAME gets its CRC appended
#                                           unless it starts with "raw:"
#   crc HEX                                 "good" when HEX ends in its CRC
#   pipeline PORT UNIT                      two reads 0.1 s apart on one
#                                           connection: "TID SECS" per reply
cat >"$tmp/mb2.py" <<'EOF'
import os, select, socket, struct, sys, termios, time, tty

def crc16(b):
    c = 0xFFFF
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
    return c

def tcp(port, unit, fc, addr, count, words):
    s = socket.create_connection(("127.0.0.1", port), timeout=0.6)
    if fc == 16:
        body = struct.pack(">BHHB", fc, addr, count, 2 * len(words))
        body += b"".join(struct.pack(">H", w) for w in words)
    else:
        body = struct.pack(">BHH", fc, addr, count)
    t0 = time.monotonic()
    s.sendall(struct.pack(">HHHB", 0x1234, 0, len(body) + 1, unit) + body)
    buf = b""
    try:
        while len(buf) < 7 or len(buf) < 6 + struct.unpack(">H", buf[4:6])[0]:
            d = s.recv(512)
            if not d:
                return "closed " + buf.hex()
            buf += d
    except socket.timeout:
        return "timeout"
    if buf[0:2] != b"\x12\x34" or buf[6] != unit:
        return "invalid " + buf.hex()
    if buf[7] == fc | 0x80:
        return "exc %d" % buf[8]
    return "ok %s %.3f" % (buf[8:].hex(), time.monotonic() - t0)

def rtu(path, spec):
    if spec.startswith("raw:"):
        frame = bytes.fromhex(spec[4:])
    else:
        body = bytes.fromhex(spec)
        c = crc16(body)
        frame = body + bytes([c & 0xFF, c >> 8])
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    tty.setraw(fd)
    os.write(fd, frame)
    buf, end = b"", time.monotonic() + 0.4
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], max(0, end - time.monotonic()))
        if r:
            buf += os.read(fd, 512)
            end = min(end, time.monotonic() + 0.1)  # the frame is over
    os.close(fd)
    return buf.hex() or "none"

def pipeline(port, unit):
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    t0 = time.monotonic()
    for tid in (1, 2):
        s.sendall(struct.pack(">HHHBBHH", tid, 0, 6, unit, 3, 0, 1))
        time.sleep(0.1)
    out, buf = [], b""
    while len(out) < 2:
        buf += s.recv(512)
        while len(buf) >= 11:
            out.append("%d %.2f" % (struct.unpack(">H", buf[:2])[0],
                                    time.monotonic() - t0))
            buf = buf[11:]
    return " ".join(out)

a = sys.argv
if a[1] == "tcp":
    print(tcp(*(int(x) for x in a[2:7]), [int(x) for x in a[7:]]))
elif a[1] == "rtu":
    print(rtu(a[2], a[3]))
elif a[1] == "crc":
    b = bytes.fromhex(a[2])
    print("good" if len(b) > 2 and crc16(b[:-2]) == b[-2] | b[-1] << 8 else "bad")
elif a[1] == "pipeline":
    print(pipeline(int(a[2]), int(a[3])))
EOF
mb2() { python3 "$tmp/mb2.py" "$@"; }
# ctl TEXT: replace the control file, signal, wait until applied (or not).
ctl_n=0
ctl() {
	printf '%s\n' "$@" >"$B/ctl"
	kill -USR1 "$sim2_pid"
	ctl_n=$((ctl_n + 1))
	i=0
	while [ $i -lt 30 ]; do
		[ "$(cat "$B/sim.out" "$B/sim.err" | grep -c \
		    -e '^control .*: applied' -e 'not applied')" -ge $ctl_n ] &&
			return 0
		sleep 0.1
		i=$((i + 1))
	done
}

echo "dev-c:drop" >"$B/ctl"
"$SIM" -c "$B" --ready-file "$B/ready" --control "$B/ctl" \
    --fault both:exception=6 >"$B/sim.out" 2>"$B/sim.err" &
sim2_pid=$!
if ! wait_ready "$B/ready" "$sim2_pid"; then
	echo "FAIL: second simulator not ready within 5 s"
	cat "$B/sim.out" "$B/sim.err"
	exit 1
fi
grep -q "^listening on 127.0.0.1:$P_MULTI (connector multi, units 1,2,3)\$" \
    "$B/sim.out" && grep -q "^listening on /dev/pts/[0-9]* -> $B/ttyS0 (connector line, units 1,2)\$" \
    "$B/sim.out" && [ -c "$B/ttyS0" ] &&
    pass "announces the RTU line and links its path" ||
    fail "RTU announce: $(cat "$B/sim.out")"
grep -q "both is both a connector and a device" "$B/sim.err" &&
    [ "$(mb2 tcp $P_BOTH 1 3 0 1)" = "exc 6" ] &&
    pass "a name both connector and device: warned, connector faulted" ||
    fail "connector/device name: $(cat "$B/sim.err")"

# Three units on one TCP connector, a device fault on one of them.
r=$(mb2 tcp $P_MULTI 1 3 0 1)
case $r in "ok 020007 "*) pass "unit 1 of 3 on one connector" ;; *) fail "unit 1: $r" ;; esac
r=$(mb2 tcp $P_MULTI 3 3 0 1)
[ "$r" = timeout ] && pass "device fault drop: no reply, the neighbours answer" ||
    fail "dev-c drop: $r"

# Clock: holding 9000..9003 = uint32 seconds, ms, set flag; writable.
r=$(mb2 tcp $P_MULTI 1 3 9000 4)
now=$(date +%s)
python3 -c "import sys; d=bytes.fromhex('${r#ok }'.split()[0])
s=int.from_bytes(d[1:5],'big'); sys.exit(0 if abs(s-$now)<=2 and d[5:7]<b'\x03\xe8' and d[7:9]==b'\0\0' else 1)" &&
    pass "clock reads the time" || fail "clock read: $r (now $now)"
r=$(mb2 tcp $P_MULTI 1 16 9000 3 15258 51712 250)    # 1000000000 s, 250 ms
case $r in "ok 2328"*) ;; *) fail "clock write: $r" ;; esac
sleep 0.5
r=$(mb2 tcp $P_MULTI 1 3 9000 4)
python3 -c "import sys; d=bytes.fromhex('${r#ok }'.split()[0])
t=int.from_bytes(d[1:5],'big')+int.from_bytes(d[5:7],'big')/1000
sys.exit(0 if 1000000000.6<=t<=1000000002 and d[7:9]==b'\0\1' else 1)" &&
    pass "clock set: reads back written time + elapsed" ||
    fail "clock after set: $r"

# Spectrum of a device whose id contains "raman": 999 = sequence,
# 1000.. = 1024 float32.  Others have no such registers.
s1=$(mb2 tcp $P_MULTI 2 4 999 1)
r=$(mb2 tcp $P_MULTI 2 4 1000 124)
python3 -c "import struct,sys; d=bytes.fromhex('${r#ok }'.split()[0])[1:]
v=struct.unpack('>62f', d); sys.exit(0 if all(500<x<5000 for x in v) else 1)" &&
    pass "spectrum pixels are plausible counts" || fail "spectrum: $r"
r=$(mb2 tcp $P_MULTI 2 4 3046 2)
r2=$(mb2 tcp $P_MULTI 2 4 3047 2)
case "$r/$r2" in "ok "*"/exc 2") pass "spectrum block ends at 3047" ;;
*) fail "spectrum end: $r / $r2" ;; esac
sleep 1.1
s2=$(mb2 tcp $P_MULTI 2 4 999 1)
python3 -c "import sys
a=int('${s1#ok }'.split()[0][2:],16); b=int('${s2#ok }'.split()[0][2:],16)
sys.exit(0 if 1 <= b - a <= 2 else 1)" &&
    pass "spectrum sequence number advances each second" ||
    fail "spectrum sequence: $s1 then $s2"
[ "$(mb2 tcp $P_MULTI 1 4 999 1)" = "exc 2" ] &&
    pass "no spectrum on other devices" || fail "spectrum on dev-a"

# RTU: two units on one line, CRC both ways, silence for the unknown.
L=$B/ttyS0
r=$(mb2 rtu "$L" 010300000001)
[ "$r" = "$(python3 -c 'print("0103020000")' | sed 's/0000$/000b/')$(python3 -c "
b=bytes.fromhex('010302000b'); c=0xFFFF
for x in b:
    c^=x
    for _ in range(8): c=(c>>1)^0xA001 if c&1 else c>>1
print('%02x%02x'%(c&255,c>>8))")" ] && pass "RTU unit 1 reads, CRC right" ||
    fail "RTU unit 1: $r"
r=$(mb2 rtu "$L" 020400050001)
case $r in 020402fffd????) [ "$(mb2 crc "$r")" = good ] &&
    pass "RTU unit 2 on the same line" || fail "RTU unit 2 CRC: $r" ;;
*) fail "RTU unit 2: $r" ;; esac
[ "$(mb2 rtu "$L" 090300000001)" = none ] &&
    pass "RTU unknown unit: silence" || fail "RTU unknown unit answered"
[ "$(mb2 rtu "$L" raw:0103000000010000)" = none ] &&
    [ "$(mb2 rtu "$L" 010300000001 | cut -c1-10)" = 010302000b ] &&
    pass "RTU request with a bad CRC: no reply, line still usable" ||
    fail "RTU bad CRC"
r=$(mb2 rtu "$L" 0141)
[ "$(echo "$r" | cut -c1-6)" = 01c101 ] &&
    pass "RTU unknown function ends at silence, exception 01" ||
    fail "RTU unknown function: $r"

ctl "rtu-1:garbage"
r=$(mb2 rtu "$L" 010300000001)
case $r in 010302????????) [ "$(mb2 crc "$r")" = bad ] &&
    pass "RTU garbage: right length, bad CRC" || fail "RTU garbage CRC: $r" ;;
*) fail "RTU garbage: $r" ;; esac
[ "$(mb2 rtu "$L" 020400050001 | cut -c1-10)" = 020402fffd ] &&
    pass "RTU device fault spares the other unit" || fail "RTU unit 2 faulted"
ctl "rtu-1:mismatch"
r=$(mb2 rtu "$L" 010300000001)
case $r in 020302000b????) [ "$(mb2 crc "$r")" = good ] &&
    pass "RTU mismatch: another unit's reply" || fail "RTU mismatch CRC: $r" ;;
*) fail "RTU mismatch: $r" ;; esac
ctl "rtu-1:close"
[ "$(mb2 rtu "$L" 010300000001)" = 010302 ] &&
    pass "RTU close: half a frame" || fail "RTU close"

# TCP mismatch and late, set and cleared through the control file.
ctl "dev-a:mismatch"
r=$(mb2 tcp $P_MULTI 1 3 0 1)
case $r in "invalid 9234"*) ;; *) fail "mismatch: $r" ;; esac
r=$(mb2 tcp $P_MULTI 3 3 0 1)
case $r in "ok 020009 "*) pass "control file: mismatch set, drop cleared" ;;
*) fail "control file: dev-c after clear: $r" ;; esac
ctl "dev-a:late=400"
r=$(mb2 pipeline $P_MULTI 1)
python3 -c "import sys; w='$r'.split()
sys.exit(0 if w[0]=='1' and w[2]=='2' and 0.35<=float(w[1])<=0.6 and 0.45<=float(w[3])<=0.7 else 1)" &&
    pass "late: a second request meets the first reply ($r)" ||
    fail "late pipeline: $r"
ctl "dev-a:nonsense"
r=$(mb2 tcp $P_MULTI 1 3 0 1)
grep -q "ctl:1: unknown fault nonsense" "$B/sim.err" &&
    grep -q "ctl: not applied, the faults stay as they were" "$B/sim.err" &&
    case $r in "ok 020007 0."[3-5]*) true ;; *) false ;; esac &&
    pass "a bad control file changes nothing" ||
    fail "bad control file: $r: $(cat "$B/sim.err")"

"$SIM" -c "$B" --fault dev-a:refuse >/dev/null 2>"$tmp/refuse.err"
rc=$?
[ $rc -eq 2 ] && grep -q "refuse applies to a connector" "$tmp/refuse.err" &&
    pass "refuse on a device: usage error" || fail "device refuse: status $rc"

kill -TERM "$sim2_pid"
if wait_exit "$sim2_pid" 20; then
	sim2_pid=
	[ $rc -eq 0 ] && [ ! -e "$L" ] && [ ! -L "$L" ] &&
	    pass "second simulator: SIGTERM, exit 0, RTU link removed" ||
	    fail "second simulator: status $rc, link: $(ls -l "$L" 2>&1)"
else
	fail "second simulator: still running after 2 s"
fi
echo "not a tty" >"$L"
"$SIM" -c "$B" --only line >/dev/null 2>"$tmp/rtu.err"
rc=$?
[ $rc -eq 1 ] && grep -q "$L exists and is not a symbolic link" "$tmp/rtu.err" &&
    [ "$(cat "$L")" = "not a tty" ] &&
    pass "RTU path that is not a pts link: refused, left alone" ||
    fail "RTU path taken: status $rc, $(cat "$tmp/rtu.err")"

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
