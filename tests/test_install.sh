#!/bin/sh
# test_install.sh - installs the build into a temporary prefix, then builds
# and runs a Windows-style program against the installed copy twice: with
# pkg-config (cc prog.c $(pkg-config --cflags --libs ws2posix)) and as a
# CMake project (find_package(ws2posix), ws2posix::ws2_32).
#
#   test_install.sh BUILD_DIR CC [EXTRA_CFLAGS]
#
# EXTRA_CFLAGS carries the sanitizer flags of a sanitized build, whose
# library cannot be linked into an uninstrumented program.
set -u
build=$1 cc=$2 extra=${3:-}
dir=$(mktemp -d "${TMPDIR:-/tmp}/ws2install.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
prefix=$dir/prefix

echo "--- cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$dir/install.log" 2>&1 || {
    cat "$dir/install.log"; echo "FAIL: cmake --install"; exit 1; }
pc=$(find "$prefix" -name ws2posix.pc | head -n 1)
[ -n "$pc" ] || { echo "FAIL: no ws2posix.pc installed"; exit 1; }
pcdir=$(dirname "$pc")
libdir=$(dirname "$pcdir")
for f in "$libdir/libws2_32.so" "$libdir/libws2_32.a" \
         "$prefix/include/ws2posix/winsock2.h" "$prefix/include/ws2posix/ws2tcpip.h" \
         "$libdir/cmake/ws2posix/ws2posixConfig.cmake"; do
    [ -e "$f" ] || { echo "FAIL: not installed: $f"; exit 1; }
done

cat >"$dir/prog.c" <<'C'
/* A Windows program: UDP over loopback to itself. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *what)
{
    printf("%s failed with error %d\n", what, WSAGetLastError());
    WSACleanup();
    return 1;
}

int main(void)
{
    WSADATA wsa;
    struct addrinfo hints, *ai = NULL;
    SOCKADDR_STORAGE self, from;
    int selflen = (int)sizeof(self), fromlen = (int)sizeof(from);
    char text[] = "installed", got[32];
    WSABUF out = {(ULONG)strlen(text), text}, in = {(ULONG)sizeof(got), got};
    DWORD sent = 0, received = 0, flags = 0;
    fd_set readfds;
    struct timeval tv = {5, 0};
    SOCKET s;

    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
        return 1;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_protocol = IPPROTO_UDP;
    if (getaddrinfo("127.0.0.1", "0", &hints, &ai) != 0)
        return fail("getaddrinfo");
    s = WSASocketW(ai->ai_family, ai->ai_socktype, ai->ai_protocol, NULL, 0,
                   WSA_FLAG_OVERLAPPED);
    if (s == INVALID_SOCKET)
        return fail("WSASocketW");
    if (bind(s, ai->ai_addr, (int)ai->ai_addrlen) == SOCKET_ERROR)
        return fail("bind");
    freeaddrinfo(ai);
    if (getsockname(s, (struct sockaddr *)&self, &selflen) == SOCKET_ERROR)
        return fail("getsockname");
    if (WSASendTo(s, &out, 1, &sent, 0, (struct sockaddr *)&self, selflen,
                  NULL, NULL) == SOCKET_ERROR)
        return fail("WSASendTo");
    FD_ZERO(&readfds);
    FD_SET(s, &readfds);
    if (select(0, &readfds, NULL, NULL, &tv) != 1)
        return fail("select");
    if (WSARecvFrom(s, &in, 1, &received, &flags, (struct sockaddr *)&from,
                    &fromlen, NULL, NULL) == SOCKET_ERROR)
        return fail("WSARecvFrom");
    if (received != sent || memcmp(got, text, received) != 0) {
        printf("got %u bytes, sent %u\n", (unsigned)received, (unsigned)sent);
        return 1;
    }
    closesocket(s);
    WSACleanup();
    printf("loopback datagram of %u bytes came back intact\n",
           (unsigned)received);
    return 0;
}
C

rc=0
# ---- pkg-config ----
export PKG_CONFIG_PATH=$pcdir
pcprefix=$(pkg-config --variable=prefix ws2posix)
pkgflags="pkg-config"
if [ "$pcprefix" != "$prefix" ]; then
    # The .pc file names the prefix chosen at configure time; an install
    # to another prefix needs pkg-config to take it from the file's place.
    echo "NOTE: ws2posix.pc says prefix=$pcprefix (configure time), installed to $prefix; using --define-prefix"
    pkgflags="pkg-config --define-prefix"
fi
flags=$($pkgflags --cflags --libs ws2posix) || { echo "FAIL: pkg-config ws2posix"; exit 1; }
echo "--- $cc -std=c17 -Wall -Wextra -Werror $extra prog.c $flags"
# shellcheck disable=SC2086
if "$cc" -std=c17 -Wall -Wextra -Werror $extra "$dir/prog.c" $flags -o "$dir/prog_pc" &&
   LD_LIBRARY_PATH=$libdir "$dir/prog_pc"; then
    echo "ok   pkg-config build"
else
    echo "FAIL: pkg-config build or run"
    rc=1
fi

# ---- CMake package ----
mkdir -p "$dir/proj"
cp "$dir/prog.c" "$dir/proj/prog.c"
cat >"$dir/proj/CMakeLists.txt" <<'C'
cmake_minimum_required(VERSION 3.16)
project(ws2posix_consumer C)
find_package(ws2posix REQUIRED)
add_executable(x prog.c)
target_link_libraries(x ws2posix::ws2_32)
C
echo "--- find_package(ws2posix) project"
if cmake -S "$dir/proj" -B "$dir/proj/build" -DCMAKE_PREFIX_PATH="$prefix" \
         -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$extra" \
         -DCMAKE_EXE_LINKER_FLAGS="$extra" >"$dir/proj.log" 2>&1 &&
   cmake --build "$dir/proj/build" >>"$dir/proj.log" 2>&1 &&
   LD_LIBRARY_PATH=$libdir "$dir/proj/build/x"; then
    echo "ok   CMake find_package build"
else
    cat "$dir/proj.log"
    echo "FAIL: CMake find_package build or run"
    rc=1
fi

[ $rc -eq 0 ] && echo "PASS"
exit $rc
