#!/bin/sh
# Installs Debian's golang-go, which builds go-greeter (the Go standard library only), when go is
# missing: with apt-get, as root. Exit 3: cannot install here.
set -eu
if command -v go >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends golang-go >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends golang-go >/dev/null; }
else
  echo "install-go.sh: go is missing; run as root, or: apt-get install golang-go" >&2
  exit 3
fi
