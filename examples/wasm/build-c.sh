#!/bin/sh
# Builds the C greeter: clang and lld from Debian (apt-get install -y clang lld), no libc, no SDK.
# Usage: build-c.sh [OUTPUT_DIR]   (default: beside the source)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}/c-greeter
mkdir -p "$out"
clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--strip-all -o "$out/greeter.wasm" "$here/c-greeter/greeter.c"
