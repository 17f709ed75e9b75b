#!/bin/sh
# check_exports.sh - libws2_32.so must not export any name libc exports
# (send, socket, select, getaddrinfo, in6addr_any, ...): a program's other
# libraries would call ours instead of libc's. It must export ws2_<name>
# for every libc namesake our headers bind (asm labels WS2POSIX_SYM, and
# the select/gethostname macros), and nothing internal (ws2__*).
#
#   check_exports.sh LIBWS2_32_SO INCLUDE_DIR [CC]
set -u
lib=$1 inc=$2 cc=${3:-cc}
dir=$(mktemp -d "${TMPDIR:-/tmp}/ws2exports.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
rc=0

names() { nm -D --defined-only "$1" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' | sort -u; }

names "$lib" >"$dir/ours" || { echo "FAIL: nm $lib"; exit 1; }
echo "$(wc -l <"$dir/ours") symbols exported by $lib"

# 1. The namesakes the issue names, spelled out, whatever libc exports.
for n in socket send sendto recv recvfrom bind connect listen accept \
         shutdown select setsockopt getsockopt getsockname getpeername \
         getaddrinfo freeaddrinfo getnameinfo gai_strerror htons htonl \
         ntohs ntohl inet_pton inet_ntop inet_addr inet_ntoa in6addr_any \
         in6addr_loopback gethostname gethostbyname gethostbyaddr \
         getservbyname getservbyport getprotobyname getprotobynumber \
         poll ioctl close read write; do
    if grep -qx "$n" "$dir/ours"; then
        echo "FAIL: exports the libc name '$n'"
        rc=1
    fi
done

# 2. Anything else libc (and the libraries it pulls in) exports.
libc=$("$cc" -print-file-name=libc.so.6)
for l in "$libc" "$("$cc" -print-file-name=libm.so.6)" \
         "$("$cc" -print-file-name=libresolv.so.2)"; do
    [ -f "$l" ] || continue
    names "$l" >>"$dir/libc"
done
sort -u "$dir/libc" -o "$dir/libc"
comm -12 "$dir/ours" "$dir/libc" >"$dir/clash"
if [ -s "$dir/clash" ]; then
    echo "FAIL: exports names that libc also exports:"
    sed 's/^/    /' "$dir/clash"
    rc=1
fi

# 3. Nothing internal.
if grep '^ws2__' "$dir/ours" >"$dir/internal"; then
    echo "FAIL: exports internal ws2__ names:"
    sed 's/^/    /' "$dir/internal"
    rc=1
fi

# 4. Every ws2_<name> our headers bind a Windows name to.
{
    sed -n 's/.*WS2POSIX_SYM(\([A-Za-z0-9_]*\)).*/ws2_\1/p' "$inc"/*.h
    sed -n 's/^#define \([a-z_]*\) \(ws2_[a-z_]*\)$/\2/p' "$inc"/*.h
} | grep -v '^ws2_name$' | grep -v '^ws2_u_long$\|^ws2_fd_set$\|^ws2_socklen_t$' \
  | sort -u >"$dir/bound"
for n in ws2_send ws2_socket ws2_bind ws2_select ws2_recv ws2_getaddrinfo \
         ws2_htons ws2_inet_pton ws2_in6addr_any ws2_gethostname; do
    grep -qx "$n" "$dir/bound" || echo "$n" >>"$dir/bound"
done
sort -u "$dir/bound" -o "$dir/bound"
comm -23 "$dir/bound" "$dir/ours" >"$dir/missing"
if [ -s "$dir/missing" ]; then
    echo "FAIL: our headers bind these, but $lib does not export them:"
    sed 's/^/    /' "$dir/missing"
    rc=1
fi
echo "$(wc -l <"$dir/bound") ws2_ bindings checked"

[ $rc -eq 0 ] && echo "PASS"
exit $rc
