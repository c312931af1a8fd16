#!/bin/sh
# Builds the native probe. Run from anywhere; `npm run build:probe` calls it.
# Needs only a C compiler, libc and kernel headers; never run at install time.
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root"
mkdir -p build
${CC:-cc} -O2 -Wall -Wextra -Werror -pthread -o build/nslife-probe probe/nslife-probe.c
