#!/bin/sh
# test_ws2catalog.sh - ws2catalog(1) end to end, on catalog files in a
# temporary directory only (--catalog, WS2POSIX_CATALOG): the table and
# --json (parsed by python3), install-layer / install / remove / order /
# reset round trips, each read back by a new process, and the exit codes
# (1 usage, 2 refused) with their messages.
#
#   test_ws2catalog.sh WS2CATALOG [PYTHON3]
set -u
tool=$1 py=${2:-}
dir=$(mktemp -d "${TMPDIR:-/tmp}/ws2catalog.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
cat=$dir/catalog
export WS2POSIX_CATALOG="$dir/from-env"
fails=0
L=11112222-3333-4444-5555-666677778888
L2=aaaabbbb-cccc-dddd-eeee-ffff00001111

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# run ARGS...: $out, $rc and $dir/err from one ws2catalog run.
run() {
    out=$("$tool" "$@" 2>"$dir/err")
    rc=$?
}

# expect RC ARGS...: the run must exit RC.
expect() {
    want=$1
    shift
    run "$@"
    if [ "$rc" -ne "$want" ]; then
        fail "ws2catalog $* exited $rc, wanted $want"
        sed 's/^/    /' "$dir/err"
    fi
}

# expect_err RC TEXT ARGS...: exits RC and says TEXT on stderr.
expect_err() {
    want=$1 text=$2
    shift 2
    expect "$want" "$@"
    grep -q -- "$text" "$dir/err" || fail "ws2catalog $*: stderr lacks '$text'"
}

# ids: the catalog's entry ids in order, one line.
ids() { "$tool" --catalog "$cat" list | awk 'NR > 1 { printf "%s ", $1 }'; }

# json_check PYTHON-EXPRESSION: true for the parsed --json output d.
json_check() {
    [ -n "$py" ] || return 0
    "$tool" --catalog "$cat" list --json >"$dir/json" || return 1
    "$py" -m json.tool "$dir/json" >/dev/null || { fail "--json does not parse"; return 1; }
    "$py" -c "import json,sys
d = json.load(open(sys.argv[1]))
e = {x['id']: x for x in d['entries']}
order = [x['id'] for x in d['entries']]
sys.exit(0 if ($1) else 1)" "$dir/json" || fail "json: $1"
}

# ---- the built-in catalog ----
expect 0 --catalog "$cat"
[ "$(ids)" = "1001 1002 1003 1004 " ] || fail "built-in ids: $(ids)"
echo "$out" | head -1 | grep -q "^ID  *CHAIN  *FAMILY/TYPE/PROTO  *NAME  *PROVIDER  *PATH" \
    || fail "table header: $(echo "$out" | head -1)"
echo "$out" | grep -q "^1001  *base  *inet/stream/tcp  *ws2posix Tcpip \[TCP/IP\] " \
    || fail "row 1001: $out"
lib=$(echo "$out" | awk 'NR == 2 { print $NF }')
case $lib in
*/libws2_32.so*) [ -f "$lib" ] || fail "base provider path $lib does not exist" ;;
*) fail "base provider path '$lib' is not libws2_32's" ;;
esac
[ ! -e "$cat" ] || fail "listing made a catalog file"
json_check "order == [1001, 1002, 1003, 1004] and d['catalog'] == '$cat' and e[1003]['family'] == 23 and e[1001]['chain'] == [1001] and not e[1002]['hidden']"

# ---- install-layer over every base entry ----
expect 0 --catalog "$cat" install-layer --name L --guid "$L" --path /opt/l.so
echo "$out" | grep -q "installed layer $L as entry 1005" || fail "install-layer said: $out"
[ "$(ids)" = "1006 1001 1007 1002 1008 1003 1009 1004 1005 " ] || fail "layered order: $(ids)"
json_check "e[1005]['chain_len'] == 0 and e[1005]['hidden'] and e[1005]['path'] == '/opt/l.so' and e[1006]['chain'] == [1005, 1001] and e[1009]['chain'] == [1005, 1004] and e[1006]['name'] == 'L over [ws2posix Tcpip [TCP/IP]]' and e[1006]['provider'] == '{11112222-3333-4444-5555-666677778889}' and e[1005]['provider'] == '{$L}' and not e[1006]['hidden']"
grep -q "^ws2posix-catalog 1$" "$cat" || fail "the file has no version line"
expect_err 2 WSANO_RECOVERY --catalog "$cat" install-layer --name L --guid "$L" --path /opt/l.so
[ "$(ids)" = "1006 1001 1007 1002 1008 1003 1009 1004 1005 " ] || fail "refused install changed the catalog: $(ids)"

# ---- a second layer over a chain and a base entry ----
expect 1 --catalog "$cat" install-layer --name M --guid "$L2" --chain-guid "{$L2}x" --path /opt/m.so
expect 0 --catalog "$cat" install-layer --name M --guid "$L2" --path /opt/m.so --over 1006,1004
json_check "e[1011]['chain'] == [1010, 1005, 1001] and e[1012]['chain'] == [1010, 1004] and order.index(1011) == order.index(1006) - 1 and order.index(1012) == order.index(1004) - 1"
expect_err 2 "no catalog entry 9999" --catalog "$cat" install-layer --name N --guid 00000000-0000-0000-0000-000000000001 --path /n.so --over 9999
expect_err 2 "layered entry" --catalog "$cat" install-layer --name N --guid 00000000-0000-0000-0000-000000000001 --path /n.so --over 1005

# ---- order ----
expect 0 --catalog "$cat" order 1004 1003
case $(ids) in "1004 1003 "*) ;; *) fail "order: $(ids)" ;; esac
expect_err 2 "no catalog entry 42" --catalog "$cat" order 42
expect 1 --catalog "$cat" order abc
expect 1 --catalog "$cat" order 1001 1001
expect 1 --catalog "$cat" order

# ---- remove: the layer and the chains that go through it ----
expect 0 --catalog "$cat" remove "{$L}"
json_check "sorted(order) == [1001, 1002, 1003, 1004, 1010]"
expect_err 2 WSAEINVAL --catalog "$cat" remove "$L"
expect 0 --catalog "$cat" remove "$L2"
expect 1 --catalog "$cat" remove not-a-guid
expect 1 --catalog "$cat" remove

# ---- install a base provider ----
expect 0 --catalog "$cat" install --name "Other TCP" --guid 0123abcd-0000-0000-0000-000000000000 --path /opt/o.so --family inet --type stream --protocol tcp
json_check "e[1013]['chain'] == [1013] and e[1013]['name'] == 'Other TCP' and e[1013]['type'] == 1 and e[1013]['path'] == '/opt/o.so'"
expect 1 --catalog "$cat" install --name X --guid 0123abcd-0000-0000-0000-000000000001 --path rel.so --family inet --type stream --protocol tcp
expect 1 --catalog "$cat" install --name X --guid 0123abcd-0000-0000-0000-000000000001 --path /x.so --family nope --type stream --protocol tcp

# ---- reset ----
expect 0 --catalog "$cat" reset
[ ! -e "$cat" ] || fail "reset left the file"
[ "$(ids)" = "1001 1002 1003 1004 " ] || fail "after reset: $(ids)"
expect 0 --catalog "$cat" reset
expect 0 --catalog "$dir/no/such/dir/catalog" reset

# ---- usage errors ----
expect_err 1 "unknown command" --catalog "$cat" frobnicate
expect_err 1 usage --catalog "$cat" --json order 1001
expect 1 --catalog
expect 1 --catalog "$cat" install-layer --name L --guid "$L"
expect_err 1 "not absolute" --catalog "$cat" install-layer --name L --guid "$L" --path l.so
expect_err 1 "not a GUID" --catalog "$cat" install-layer --name L --guid 1234 --path /l.so
expect 1 --catalog "$cat" install-layer --name L --guid "$L" --path /l.so --over 1001 --over-all
expect 1 --catalog "$cat" list --bogus

# ---- WS2POSIX_CATALOG without --catalog ----
expect 0 install-layer --name E --guid "$L" --path /e.so --over 1002
[ -f "$WS2POSIX_CATALOG" ] || fail "WS2POSIX_CATALOG was not used"
[ ! -e "$cat" ] || fail "--catalog's file was touched"
expect 0 reset

# ---- refused: a catalog that cannot be written, one that is damaged ----
if [ "$(id -u)" = 0 ]; then
    chmod 755 "$dir"
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$tool" --catalog "$cat" install-layer --name L --guid "$L" --path /l.so 2>&1)
    rc=$?
    chmod 700 "$dir"
else
    chmod 555 "$dir"
    out=$("$tool" --catalog "$cat" install-layer --name L --guid "$L" --path /l.so 2>&1)
    rc=$?
    chmod 700 "$dir"
fi
[ "$rc" -eq 2 ] || fail "an unwritable catalog: exit $rc ($out)"
echo "$out" | grep -q "WSANO_RECOVERY" || fail "an unwritable catalog: $out"
printf 'ws2posix-catalog 1\nnext-id 1005\nentry 1001\nfamily 2\n' >"$cat"
expect_err 2 "cannot be read" --catalog "$cat" list
grep -q "$cat: line" "$dir/err" || fail "the library's line about the file is missing"
expect_err 2 WSANO_RECOVERY --catalog "$cat" order 1001
expect 0 --catalog "$cat" reset
expect 0 --catalog "$cat" list

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "PASS"
