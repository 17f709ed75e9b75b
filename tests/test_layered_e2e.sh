#!/bin/sh
# test_layered_e2e.sh BUILD - the catalog issue's "done when", end to end:
# an example program that was never rebuilt for it (tcp_echo_client and
# tcp_echo_server, linked with libws2_32.so), run with ws2stat installed
# in its catalog, reports its traffic (read back with the ws2stat tool);
# with ws2fault it sees the injected error; with both removed it behaves
# plainly again. The catalog is a file of the test's own (WS2POSIX_CATALOG)
# changed only with ws2catalog:
#
#   ws2catalog --catalog FILE install-layer --name N --guid G --path P --over-all
#   ws2catalog --catalog FILE remove G
#
# Skips (77) while BUILD has no tools/ws2catalog.
set -u
build=$1
here=$(cd "$(dirname "$0")" && pwd)
cat=$build/tools/ws2catalog
server=$build/examples/tcp_echo_server
client=$build/examples/tcp_echo_client
tool=$build/providers/ws2stat
if [ ! -x "$cat" ]; then
    echo "SKIP: $cat is not built"
    exit 77
fi
for f in "$server" "$client" "$tool" "$build/providers/ws2stat.so" \
         "$build/providers/ws2fault.so"; do
    [ -e "$f" ] || { echo "FAIL: $f is not built"; exit 1; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/ws2e2e.XXXXXX") || exit 1
spid=
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null; rm -rf "$dir"' EXIT
export WS2POSIX_CATALOG="$dir/catalog" WS2STAT_DIR="$dir/stat"
unset WS2FAULT WS2FAULT_FILE
stat_guid={6d1c0a51-2f43-4e7a-9a0b-5e2d3c4b5a61}
fault_guid={6d1c0a51-2f43-4e7a-9a0b-5e2d3c4b5a62}

fail() {
    echo "FAIL: $*"
    exit 1
}

catalog() {
    echo "--- ws2catalog $*"
    "$cat" --catalog "$WS2POSIX_CATALOG" "$@" || fail "ws2catalog $* exited $?"
}

# What the client sends and gets back: "hello, winsock\n" (15 bytes),
# "scatter/" "gather " and 5000 pattern bytes (5015), a 16 KiB block.
total=$((15 + 5015 + 16384))

# 1. ws2stat: both programs' traffic, counted.
catalog install-layer --name ws2stat --guid "$stat_guid" \
    --path "$build/providers/ws2stat.so" --over-all
sh "$here/../examples/run_pair.sh" "$server" "$client" 127.0.0.1 1 1 ||
    fail "the echo pair under ws2stat"
"$tool" || fail "ws2stat (the list) exited $?"
n=0
for f in "$WS2STAT_DIR"/*.ws2stat; do
    [ -e "$f" ] || fail "ws2stat left no file in $WS2STAT_DIR"
    n=$((n + 1))
    "$tool" "$f" || fail "ws2stat $f exited $?"
    head=$("$tool" --json "$f" | sed 's/"functions".*//')
    echo "$head" | grep -q "\"bytes_out\": $total, \"bytes_in\": $total" ||
        fail "$f: wanted $total bytes each way: $head"
    echo "$head" | grep -q '"errors": 0' || fail "$f: errors: $head"
done
[ $n -eq 2 ] || fail "$n statistics files, wanted 2 (server and client)"
catalog remove "$stat_guid"

# 2. ws2fault: the client's first send fails as configured (the server
# runs under the layer too, without rules: passed through).
catalog install-layer --name ws2fault --guid "$fault_guid" \
    --path "$build/providers/ws2fault.so" --over-all
log=$dir/server.log
: >"$log"
timeout 30 "$server" 127.0.0.1 0 1 >"$log" 2>&1 &
spid=$!
port=
i=0
while [ -z "$port" ] && [ $i -lt 50 ]; do
    sleep 0.1
    port=$(sed -n 's/.*listening on .* port \([0-9][0-9]*\).*/\1/p' "$log")
    i=$((i + 1))
done
[ -n "$port" ] || fail "the server did not start: $(cat "$log")"
out=$(WS2FAULT="send:nth=1:error=WSAECONNRESET" \
      timeout 30 "$client" 127.0.0.1 "$port" 2>&1)
rc=$?
echo "$out"
[ $rc -ne 0 ] || fail "the client did not see the injected error"
echo "$out" | grep -q "send failed with error 10054 (WSAECONNRESET)" ||
    fail "the client's message does not carry WSAECONNRESET"
kill "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
spid=
catalog remove "$fault_guid"

# 3. Both removed: the same programs, with the same rule in their
# environment, behave plainly and nothing counts them.
rm -rf "$WS2STAT_DIR"
WS2FAULT="send:nth=1:error=WSAECONNRESET" \
    sh "$here/../examples/run_pair.sh" "$server" "$client" 127.0.0.1 1 1 ||
    fail "the echo pair without layers"
[ ! -e "$WS2STAT_DIR" ] || fail "ws2stat still counted"
echo "PASS"
