#!/bin/sh
# callgrind.sh - user-space instructions per operation of ws2posix over raw
# Linux, counted by valgrind's callgrind (deterministic, unlike time).
#
#   bench/callgrind.sh [WS2PERF] [COUNT]
#
# WS2PERF defaults to build/tools/ws2perf, COUNT to 20000. For each of
# blocking WSASendTo of 64 B, overlapped WSASendTo with an event, a
# completion routine (extra, no goal) and raw sendto, ws2perf
# --callgrind-mode runs COUNT operations (UDP to a bound loopback socket
# nobody reads, so no receiver thread is counted) and again 0 operations
# (start-up, sockets, clean-up: the baseline). Two figures: WSASendTo's
# inclusive instructions per call (callgrind_annotate) minus libc sendto's,
# which is the library's extra and what the goals are judged on; and the
# whole process's difference over COUNT minus raw's, which adds the
# harness loop (ws2perf's is ~40 instructions heavier than raw_linux.c's)
# and anything another thread (the reaper) did, e.g. for completion
# routines. The
# epoll engine is used: valgrind cannot see io_uring's memory writes.
# Prints one line per measurement; exits 77 when valgrind is missing.
set -u
perf=${1:-build/tools/ws2perf}
count=${2:-20000}
if ! command -v valgrind >/dev/null 2>&1; then
    echo "SKIP: valgrind not found"
    exit 77
fi
if [ ! -x "$perf" ]; then
    echo "callgrind.sh: $perf not built (make build)" >&2
    exit 1
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Runs one measurement under callgrind: mode, count. Leaves the profile in
# $tmp/out and prints the total instructions (Ir) of the whole process.
instructions() {
    rm -f "$tmp/out"
    WS2POSIX_ENGINE=epoll valgrind --tool=callgrind \
        --callgrind-out-file="$tmp/out" "$perf" --callgrind-mode "$1" \
        --count "$2" >"$tmp/stdout" 2>"$tmp/log" || {
        echo "callgrind.sh: ws2perf --callgrind-mode $1 --count $2 failed" >&2
        cat "$tmp/log" >&2
        exit 1
    }
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/log" | tail -n 1
}

# Inclusive instructions of a function in $tmp/out: the largest entry of
# that name (inlined parts are listed again under their header's name, and
# are inside the outer one).
inclusive() {
    callgrind_annotate --inclusive=yes --threshold=100 "$tmp/out" 2>/dev/null |
        sed -n "s/^ *\([0-9,]*\) .*:$1 .*/\1/p" | tr -d , | sort -n |
        tail -n 1
}

# Two figures per mode, in $total and $call (instructions per operation,
# rounded): the whole process at COUNT minus at 0 operations (library,
# harness loop and any other thread), and the inclusive cost of one call of
# the entry function (the library alone, or libc's sendto).
measure() {
    full=$(instructions "$1" "$count")
    call=$(inclusive "$2")
    base=$(instructions "$1" 0)
    total=$(( (full - base + count / 2) / count ))
    call=$(( (${call:-0} + count / 2) / count ))
}

measure raw-sendto sendto
raw_total=$total raw_call=$call
echo "callgrind raw_sendto_udp64: sendto $raw_call instructions/call, $raw_total/op in all (count $count)"
for spec in "ws2-blocking:blocking_wsasendto_udp64:150" \
            "ws2-event:overlapped_event_wsasendto_udp64:300" \
            "ws2-routine:overlapped_routine_wsasendto_udp64:-"; do
    mode=${spec%%:*}
    rest=${spec#*:}
    name=${rest%%:*}
    goal=${rest#*:}
    measure "$mode" WSASendTo
    extra=$((call - raw_call))
    if [ "$goal" = "-" ]; then
        verdict="no goal"
    elif [ "$extra" -le "$goal" ]; then
        verdict="goal <= $goal: met"
    else
        verdict="goal <= $goal: NOT met"
    fi
    echo "callgrind $name: WSASendTo $call instructions/call, extra $extra over sendto ($verdict); $total/op in all, extra $((total - raw_total))"
done
