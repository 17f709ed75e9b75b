#!/bin/sh
# run_pair.sh - runs an echo server and its clients over loopback, as ctest
# does for the examples (and `make demo`).
#
#   run_pair.sh SERVER CLIENT HOST CLIENTS SERVER_COUNT
#
# The server binds HOST port 0 (a free port) and prints it; the clients run
# one after the other against that port. Every program runs under
# `timeout`, so nothing can hang the test. Exit 0 when the server and all
# clients exit 0; 77 (skip) when HOST is ::1 and this machine has no IPv6
# loopback.
set -u
server=$1 client=$2 host=$3 clients=${4:-1} count=${5:-1}
limit=${EXAMPLE_TIMEOUT:-30}

if [ "$host" = "::1" ] && ! grep -q ' lo$' /proc/net/if_inet6 2>/dev/null; then
    echo "SKIP: no IPv6 loopback on this machine"
    exit 77
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/ws2echo.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
log=$dir/server.log

: >"$log"
timeout "$limit" "$server" "$host" 0 "$count" >"$log" 2>&1 &
spid=$!

# Wait for "... listening on HOST port N ..." (up to 5 s).
port=
i=0
while [ $i -lt 50 ]; do
    port=$(sed -n 's/.*listening on .* port \([0-9][0-9]*\).*/\1/p' "$log")
    [ -n "$port" ] && break
    kill -0 "$spid" 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
done
if [ -z "$port" ] || [ "$port" = 0 ]; then
    echo "FAIL: the server did not start listening:"
    cat "$log"
    kill "$spid" 2>/dev/null
    wait "$spid" 2>/dev/null
    exit 1
fi

rc=0
n=1
while [ $n -le "$clients" ]; do
    echo "--- client $n: $(basename "$client") $host $port"
    timeout "$limit" "$client" "$host" "$port"
    crc=$?
    if [ $crc -ne 0 ]; then
        echo "FAIL: client $n exited with $crc"
        rc=1
        kill "$spid" 2>/dev/null
        break
    fi
    n=$((n + 1))
done

wait "$spid"
src=$?
echo "--- server: $(basename "$server") $host 0 $count"
cat "$log"
if [ $rc -eq 0 ] && [ $src -ne 0 ]; then
    echo "FAIL: the server exited with $src"
    rc=1
fi
[ $rc -eq 0 ] && echo "PASS"
exit $rc
