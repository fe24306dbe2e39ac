#!/bin/sh
# Builds the native launcher: build.sh OUTPUT_FOLDER SOURCE. Installs Debian's gcc and libc6-dev with
# apt-get when they are missing and this runs as root; elsewhere it says what to install.
set -eu
missing() {
  ! command -v gcc >/dev/null 2>&1 || { [ ! -e /usr/include/x86_64-linux-gnu/sys/prctl.h ] && [ ! -e /usr/include/sys/prctl.h ]; }
}
if missing; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get install -y -q gcc libc6-dev >/dev/null
  else
    echo "the native launcher needs a C compiler: apt-get install gcc libc6-dev (or build with -P!native-launcher)" >&2
    exit 1
  fi
fi
mkdir -p "$1"
exec gcc -O2 -s -Wall -Wextra -Werror -o "$1/atrium-launch" "$2"
