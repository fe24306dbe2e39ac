#!/bin/sh
# Installs what building examples/wasm takes: Debian's clang and lld for the C greeter (when missing,
# as root) and the npm packages of package-lock.json (AssemblyScript, Extism's PDK and JS runtime).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v clang >/dev/null 2>&1 || ! command -v wasm-ld >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get install -y -q clang lld >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q clang lld >/dev/null; }
  else
    echo "install-toolchains: clang and lld are missing; run as root, or: apt-get install clang lld" >&2
    exit 3
  fi
fi
cd "$here" && npm ci --no-audit --no-fund --loglevel=error
