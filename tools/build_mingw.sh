#!/bin/sh
# build_mingw.sh - compiles ws2perf.c and ws2perf_scale.c for Windows with
# mingw-w64, to prove they are a plain Winsock program:
# x86_64-w64-mingw32-gcc -Wall -Wextra -Werror
# ... -lws2_32 into ws2perf.exe (not run: Wine is not required). The Windows
# build has no --vs-raw and no --callgrind-mode (raw_linux.c is Linux's).
#
#   build_mingw.sh TOOLS_DIR OUT_DIR [MINGW_CC]
#
# Exit 77 (skip) when no mingw-w64 compiler is found.
set -u
src=$1 out=$2 cc=${3:-}
case "$cc" in ""|*NOTFOUND) cc=$(command -v x86_64-w64-mingw32-gcc || true) ;; esac
if [ -z "$cc" ]; then
    echo "SKIP: x86_64-w64-mingw32-gcc not found (Debian: gcc-mingw-w64-x86-64)"
    exit 77
fi
mkdir -p "$out" || exit 1
set -- -std=c17 -Wall -Wextra -Werror -pedantic -O2 "$src/ws2perf.c" \
    "$src/ws2perf_scale.c" -o "$out/ws2perf.exe" -lws2_32
echo "$cc $*"
if ! "$cc" "$@"; then
    echo "FAIL: $src/ws2perf.c $src/ws2perf_scale.c"
    exit 1
fi
echo "PASS: ws2perf builds for Windows"
