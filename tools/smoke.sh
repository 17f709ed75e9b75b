#!/bin/sh
# smoke.sh - ws2perf_smoke: a tiny --count of each workload in each mode
# (iocp with its default 2 threads), with --json, under both engines.
# Passes when every run exits 0, prints one JSON object per workload, has
# no errors, and TCP's bytes sent equal bytes received (UDP may lose
# datagrams over loopback; loss is reported). Then a short --scale run on
# each engine, and one round of --vs-raw.
#
#   smoke.sh WS2PERF
set -u
perf=$1
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
rc=0
for engine in io_uring epoll; do
    for mode in blocking nonblocking event routine iocp; do
        if ! WS2POSIX_ENGINE=$engine "$perf" --udp --tcp --mode $mode \
                -k 4 --count 200 --json >"$out"; then
            echo "FAIL: $engine $mode: ws2perf exited non-zero"
            cat "$out"
            rc=1
            continue
        fi
        cat "$out"
        n=$(grep -c '^{"name":' "$out")
        if [ "$n" -ne 2 ]; then
            echo "FAIL: $engine $mode: $n results, expected 2"
            rc=1
        fi
        if grep -v '"errors":0,' "$out" | grep -q .; then
            echo "FAIL: $engine $mode: errors reported"
            rc=1
        fi
        tcp=$(grep '"proto":"tcp"' "$out")
        sent=$(echo "$tcp" | sed -n 's/.*"bytes_sent":\([0-9]*\).*/\1/p')
        recv=$(echo "$tcp" | sed -n 's/.*"bytes_received":\([0-9]*\).*/\1/p')
        if [ -z "$sent" ] || [ "$sent" != "$recv" ] || [ "$sent" -eq 0 ]; then
            echo "FAIL: $engine $mode: TCP sent '$sent' received '$recv'"
            rc=1
        fi
    done
done
# The scale workload, small: both rings run, nothing fails, memory known.
for engine in io_uring epoll; do
    if ! WS2POSIX_ENGINE=$engine "$perf" --scale 40 --duration 0.1 \
            --rounds 1 --json >"$out"; then
        echo "FAIL: $engine scale: ws2perf exited non-zero"
        cat "$out"
        rc=1
        continue
    fi
    cat "$out"
    if [ "$(grep -c '"name":"scale_udp64_n' "$out")" -ne 2 ] ||
        ! grep -q '"name":"scale_ratio".*"heap_bytes_per_request"' "$out"; then
        echo "FAIL: $engine scale: missing results"
        rc=1
    fi
done
# The comparison with raw Linux calls, one short round: every pair has
# its ratio and both sides' loss.
if ! "$perf" --vs-raw --udp --mode event -k 4 --count 2000 --rounds 1 \
        --json >"$out"; then
    echo "FAIL: vs-raw: ws2perf exited non-zero"
    cat "$out"
    rc=1
else
    cat "$out"
    pairs=$(grep -c '"vs_raw":' "$out")
    full=$(grep -c '"ws2_loss_pct":[0-9.]*,"raw_loss_pct":[0-9.]*,"median_ratio":[0-9.]*' "$out")
    if [ "$pairs" -eq 0 ] || [ "$pairs" -ne "$full" ]; then
        echo "FAIL: vs-raw: $pairs pairs, $full with ratio and loss"
        rc=1
    fi
fi
[ $rc -eq 0 ] && echo "PASS: ws2perf smoke"
exit $rc
