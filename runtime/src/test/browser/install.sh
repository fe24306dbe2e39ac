#!/bin/sh
# Installs what the web console's browser test takes: Debian's chromium (as root, when missing) and
# playwright-core from npm (package-lock.json), which drives it. Exit 3: cannot install here.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium >/dev/null; }
  else
    echo "install.sh: chromium is missing; run as root, or: apt-get install chromium" >&2
    exit 3
  fi
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install.sh: npm is missing: apt-get install npm" >&2
  exit 3
fi
cd "$here" && npm ci --no-audit --no-fund --loglevel=error
