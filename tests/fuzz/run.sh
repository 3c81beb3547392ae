#!/bin/sh
# tests/fuzz/run.sh: build the inference protocol fuzz target and run it
# for a bounded time.  Pass/fail: non-zero when it found a crash, a leak,
# undefined behaviour or a broken round trip (fuzz_infer_protocol.c says
# which properties); 77 (skip) when clang is not installed.
#
# Run from the project root after configure (config.h is looked for in
# BUILD_DIR, default the current directory):
#
#   tests/fuzz/run.sh                       60 s
#   FUZZ_SECONDS=600 tests/fuzz/run.sh      longer
#   FUZZ_CORPUS=fuzz-corpus tests/fuzz/run.sh   keep the corpus between runs
#
# The seeds are hand-written valid messages of every type and encoding,
# so libFuzzer starts inside the grammar instead of guessing "{\"v\":1".
# A crashing input is kept, with the log, in the work directory this
# script names on failure; replay it with `$dir/fuzz_infer_protocol FILE`.
set -eu

CC=${FUZZ_CC:-clang}
BUILD_DIR=${BUILD_DIR:-.}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)

if ! command -v "$CC" >/dev/null 2>&1; then
    echo "fuzz: $CC not found, skipped (needs clang and libclang-rt-dev)" >&2
    exit 77
fi
if [ ! -f "$BUILD_DIR/config.h" ]; then
    echo "fuzz: no $BUILD_DIR/config.h; run configure, or set BUILD_DIR" >&2
    exit 1
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-infer.XXXXXX")
keep=0
cleanup() { [ "$keep" = 1 ] || rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

bin="$T/fuzz_infer_protocol"
# shellcheck disable=SC2046  # pkg-config output is meant to split
"$CC" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -std=gnu11 -Wall -Wextra -Werror \
    -I "$BUILD_DIR" -I "$top/src" -I "$top" \
    "$top/tests/fuzz/fuzz_infer_protocol.c" "$top/src/inference/protocol.c" \
    $(pkg-config --cflags --libs jansson) -lm -o "$bin" >"$T/build.log" 2>&1 || {
    cat "$T/build.log" >&2
    echo "fuzz: build failed" >&2
    exit 1
}

corpus=${FUZZ_CORPUS:-$T/corpus}
mkdir -p "$corpus"

# seed NAME NFRAMES HEADER [FRAME1]: the five-byte prefix the target reads
# (frame count, frame 0 length), the header, then frame 1 given as a
# printf format of octal escapes.
# shellcheck disable=SC2059  # the formats are built octal escapes
seed() {
    len=$(($(printf '%s' "$3" | wc -c)))
    {
        printf "\\$(printf %03o $(($2 - 1)))"
        printf "\\$(printf %03o $((len % 256)))\\$(printf %03o $((len / 256)))"
        printf '\000\000'
        printf '%s' "$3"
        if [ $# -ge 4 ]; then printf "$4"; fi
    } >"$corpus/seed-$1"
}

PX4='\000\000\200\077\000\000\040\300\001\000\000\000\377\377\177\177'
seed predict-f32le 2 '{"v":1,"type":"predict","id":"c7f3-000118","model":"pls-api","spectrum":"raman1","ts_us":1718264523123456,"pixels":4,"encoding":"f32le"}' "$PX4"
seed predict-json 1 '{"v":1,"type":"predict","id":"c7f3-000119","model":"pls-api","spectrum":"raman1","ts_us":1718264524123456,"pixels":4,"encoding":"json","data":[1021.5,1033.25,998,-1.5e-40]}'
seed predictions 1 '{"v":1,"type":"predictions","id":"c7f3-000118","model":"pls-api","model_version":"2024.06.1","spectrum":"raman1","ts_us":1718264523123456,"outputs":[{"name":"api_r","unit":"g/L","value":12.84},{"name":"純度","unit":"µg/L","value":-0.0},{"name":"ee","unit":"%","value":95.2}],"server_us":850}'
seed heartbeat 1 '{"v":1,"type":"heartbeat","id":"c7f3-000120"}'
seed heartbeat-reply 1 '{"v":1,"type":"heartbeat","id":"c7f3-000120","server":"inference-a","uptime_s":86412.5,"models":[{"id":"pls-api","version":"2024.06.1","pixels":1024},{"id":"pls-ee","version":"3","pixels":512}]}'
seed models 1 '{"v":1,"type":"models","id":"c7f3-000121"}'
seed models-reply 1 '{"v":1,"type":"models","id":"c7f3-000121","models":[{"id":"pls-api","version":"2024.06.1","pixels":1024,"outputs":[{"name":"api_r","unit":"g/L"},{"name":"api_s","unit":"g/L"},{"name":"ee","unit":"%"}]}]}'
seed error 1 '{"v":1,"type":"error","id":"c7f3-000122","code":"unknown_model","message":"no model \"pls-apx\"; loaded: pls-api"}'
seed error-noid 1 '{"v":1,"type":"error","id":"","code":"bad_request","message":"frame 0 is not valid JSON","extra":{"k":[1,null,true]}}'

(cd "$T" && "$bin" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 \
    -timeout=10 -artifact_prefix="$T/" -print_final_stats=1 \
    "$corpus") >"$T/fuzz.log" 2>&1 && rc=0 || rc=$?

fuzz_stat() { sed -n "s/^stat::$1: *\([0-9]*\).*/\1/p" "$T/fuzz.log"; }
runs=$(fuzz_stat number_of_executed_units)
rate=$(fuzz_stat average_exec_per_sec)
secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$T/fuzz.log")
cov=$(sed -n 's/.*\(cov: [0-9]*\).*\(corp: [0-9]*\).*/\1, \2 inputs/p' "$T/fuzz.log" | tail -n 1)
# libFuzzer exits 77 on a finding (its -error_exitcode), which automake
# would read as "skipped": any failure leaves here as 1.
if [ "$rc" -ne 0 ] || [ -z "$secs" ]; then
    keep=1
    tail -n 40 "$T/fuzz.log" >&2
    echo "fuzz_infer_protocol: FAILED (libFuzzer exit $rc) after ${runs:-?} runs; log, input and binary kept in $T" >&2
    exit 1
fi
echo "fuzz_infer_protocol: ok, $runs runs in ${secs} s ($rate/s), $cov, no crash"
