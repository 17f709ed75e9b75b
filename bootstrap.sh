#!/bin/sh
# bootstrap.sh TARGET... - runs `make TARGET` on a fresh Debian machine:
# installs make itself when it is missing; the Makefile's deps target then
# installs every other Debian package the build and the tests need.
set -e
cd "$(dirname "$0")"
if ! command -v make >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y make
fi
exec make "$@"
