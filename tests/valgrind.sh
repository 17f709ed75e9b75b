#!/bin/sh
# valgrind.sh BUILD - runs every unit-test program of BUILD under valgrind
# memcheck, and the IOCP echo example server under its load test; any
# memory error or definite leak fails it. A program that skips (77) is
# counted as skipped. --fair-sched keeps a busy thread from starving the
# others (valgrind runs one thread at a time). Prints "N passed, N failed".
# valgrind does not see what io_uring writes into memory from the kernel
# (it reports the data as uninitialised), so these runs use the epoll
# engine, and the large transfers are scaled down.
export WS2POSIX_ENGINE=epoll WS2TEST_SCALE=64
build=${1:-build}
pass=0; fail=0; skip=0
for t in "$build"/tests/test_*; do
    [ -x "$t" ] && [ -f "$t" ] || continue
    name=$(basename "$t")
    out=$(mktemp)
    timeout 600 valgrind --fair-sched=yes --quiet --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite --track-fds=no "$t" >"$out" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1))
    elif [ $rc -eq 77 ]; then
        skip=$((skip + 1)); echo "valgrind: $name skipped"
    else
        fail=$((fail + 1)); echo "valgrind: $name FAILED (exit $rc)"
        tail -n 40 "$out"
    fi
    rm -f "$out"
done
# The IOCP echo example under its 1,000-connection load, the server under
# memcheck (the load program is plain Linux code, not ws2posix): ~2 s.
load=$build/examples/iocp_echo_load
if [ -x "$load" ]; then
    wrap=$(mktemp)
    server=$(cd "$build/examples" && pwd)/iocp_echo_server
    printf '#!/bin/sh\nexec valgrind --fair-sched=yes --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --track-fds=no "%s" "$@"\n' \
        "$server" >"$wrap"
    chmod +x "$wrap"
    out=$(mktemp)
    if timeout 600 "$load" "$wrap" --clients 1000 --stop signal \
            --timeout 300 >"$out" 2>&1; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "valgrind: iocp_echo_server under load FAILED"
        tail -n 40 "$out"
    fi
    rm -f "$wrap" "$out"
fi
echo "valgrind: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
