#!/bin/sh
# build_mingw.sh - compiles every example for Windows with mingw-w64, to
# prove they are plain Winsock programs: x86_64-w64-mingw32-gcc -Wall
# -Werror ... -lws2_32 into .exe files (not run: Wine is not required).
#
#   build_mingw.sh EXAMPLES_DIR OUT_DIR [MINGW_CC]
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
rc=0
for f in "$src"/*.c; do
    exe=$out/$(basename "${f%.c}").exe
    echo "$cc -std=c17 -Wall -Wextra -Werror -pedantic -O2 $f -o $exe -lws2_32"
    if ! "$cc" -std=c17 -Wall -Wextra -Werror -pedantic -O2 "$f" -o "$exe" -lws2_32; then
        echo "FAIL: $f"
        rc=1
    fi
done
[ $rc -eq 0 ] && echo "PASS: every example builds for Windows"
exit $rc
