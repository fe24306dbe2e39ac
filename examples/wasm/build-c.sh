#!/bin/sh
# Builds the C modules (the greeter, the WASI file reader, the HTTP fetcher, the ABI referee modules, the host function caller): clang and lld from Debian
# (apt-get install -y clang lld), no libc, no SDK.
# Usage: build-c.sh [OUTPUT_DIR]   (default: beside the source)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
for m in c-greeter/greeter c-files/files c-http/http c-abi/abi c-abi/plain c-host/host; do
  mkdir -p "$out/$(dirname $m)"
  clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--strip-all -o "$out/$m.wasm" "$here/$m.c"
done
