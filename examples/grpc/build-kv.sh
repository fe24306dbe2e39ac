#!/bin/sh
# Builds hashicorp/go-plugin 1.0.1's own gRPC examples, unmodified, as fixtures for Atrium's gRPC transport:
#
#   examples/grpc/build-kv.sh OUTDIR
#
#   OUTDIR/kv-go-grpc       examples/grpc/plugin-go-grpc: the KV plugin, gRPC
#   OUTDIR/kv-go-netrpc     examples/grpc/plugin-go-netrpc: the same plugin over net/rpc (a gRPC host refuses it)
#   OUTDIR/kv-host          examples/grpc/main.go: go-plugin's own Go host, a referee (KV_PLUGIN=... kv-host put|get)
#   OUTDIR/kv.protoset      protoc --descriptor_set_out --include_imports of examples/grpc/proto/kv.proto
#   OUTDIR/counter-go-grpc  examples/bidirectional/plugin-go-grpc: a plugin that calls back into its host (broker)
#   OUTDIR/counter-host     examples/bidirectional/main.go, its referee (COUNTER_PLUGIN=... counter-host put|get)
#   OUTDIR/counter.protoset the same for examples/bidirectional/proto/kv.proto
#   OUTDIR/goplugin-kv      bench/grpc/goplugin: the Go peer of the gRPC benchmark (go-plugin's host, timed)
#   OUTDIR/kv_pb2.py        protoc --python_out of the same kv.proto, for examples/grpc/python/kv_plugin.py
#                           (the KV plugin in Python with Debian's python3-grpcio, which both hosts run)
#
# The examples come from Debian's source package of go-plugin, the upstream tarball
# golang-github-hashicorp-go-plugin_1.0.1.orig.tar.xz, downloaded once, checked against the sha256 in its .dsc
# and cached in $ATRIUM_GOPLUGIN_CACHE (default OUTDIR/cache). They are built offline in GOPATH mode against
# Debian bookworm's packages; the go-plugin library is Debian's (golang-github-hashicorp-go-plugin-dev 1.0.1-4),
# set ATRIUM_GOPLUGIN_LIB=tarball to build against the tarball's copy of it instead. Missing packages are
# installed with apt-get when run as root. Exit 3: cannot install them here. A second run rebuilds nothing
# while the outputs are newer than the tarball (and goplugin-kv newer than its source).
set -eu

if [ $# -ne 1 ]; then
  echo "usage: build-kv.sh OUTDIR" >&2
  exit 2
fi
LIB=${ATRIUM_GOPLUGIN_LIB:-debian}
case $LIB in debian | tarball) ;; *) echo "build-kv.sh: ATRIUM_GOPLUGIN_LIB is debian or tarball, not $LIB" >&2; exit 2 ;; esac
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${ATRIUM_GOPLUGIN_CACHE:-$OUT/cache}
URL=http://deb.debian.org/debian/pool/main/g/golang-github-hashicorp-go-plugin/golang-github-hashicorp-go-plugin_1.0.1.orig.tar.xz
SHA256=0173bc236652f3ba643cd916103ad6f4246b23d3cdc5ae0d0f8f64a5faf4c0a1
TARBALL=$CACHE/golang-github-hashicorp-go-plugin_1.0.1.orig.tar.xz
GC=/usr/share/gocode/src
PEER_SRC=$ROOT/bench/grpc/goplugin/main.go

# Packages, each with a file that shows it is there. go-plugin's -dev package does not depend on what its gRPC
# half imports; grpc's depends on golang-github-golang-protobuf-1-3-dev | -1-5-dev, so name 1-5.
missing=
need() { [ -e "$2" ] || missing="$missing $1"; }
need_cmd() { command -v "$2" >/dev/null 2>&1 || missing="$missing $1"; }
need_cmd golang-go go
need golang-github-hashicorp-go-plugin-dev $GC/github.com/hashicorp/go-plugin/grpc_client.go
need golang-google-grpc-dev $GC/google.golang.org/grpc/server.go
need golang-github-golang-protobuf-1-5-dev $GC/github.com/golang/protobuf/proto/registry.go
need golang-golang-x-net-dev $GC/golang.org/x/net/context/context.go
need_cmd protobuf-compiler protoc
need python3-grpcio /usr/lib/python3/dist-packages/grpc/__init__.py
need python3-protobuf /usr/lib/python3/dist-packages/google/protobuf/__init__.py
need_cmd xz-utils xz
if ! command -v curl >/dev/null 2>&1 && ! command -v wget >/dev/null 2>&1; then
  missing="$missing curl"
fi
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null; } \
      || { echo "build-kv.sh: apt-get install$missing failed" >&2; exit 3; }
    echo "installed:$missing"
  else
    echo "build-kv.sh: missing$missing; run as root, or: apt-get install$missing" >&2
    exit 3
  fi
fi

check() { [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$SHA256" ]; }
if [ -f "$TARBALL" ]; then
  check "$TARBALL" || { echo "build-kv.sh: $TARBALL is not the go-plugin 1.0.1 tarball (sha256 is not $SHA256); remove it" >&2; exit 1; }
else
  mkdir -p "$CACHE"
  if command -v curl >/dev/null 2>&1; then get="curl -fsSL -o"; else get="wget -q -O"; fi
  $get "$TARBALL.part" "$URL" || { rm -f "$TARBALL.part"; echo "build-kv.sh: cannot download $URL" >&2; exit 1; }
  check "$TARBALL.part" || { rm -f "$TARBALL.part"; echo "build-kv.sh: refused $URL: its sha256 is not $SHA256" >&2; exit 1; }
  mv "$TARBALL.part" "$TARBALL"
  echo "downloaded: $TARBALL"
fi

fresh() { [ -f "$OUT/$1" ] && [ "$OUT/$1" -nt "$TARBALL" ]; }
stale=
for f in kv-go-grpc kv-go-netrpc kv-host kv.protoset kv_pb2.py counter-go-grpc counter-host counter.protoset; do
  if fresh $f; then echo "up to date: $OUT/$f"; else stale="$stale $f"; fi
done
peer=
if [ -f "$PEER_SRC" ]; then
  if fresh goplugin-kv && [ "$OUT/goplugin-kv" -nt "$PEER_SRC" ]; then echo "up to date: $OUT/goplugin-kv"; else peer=1; fi
fi
if [ -z "$stale" ] && [ -z "$peer" ]; then
  exit 0
fi

# A GOPATH whose github.com/hashicorp/go-plugin is the library plus the tarball's examples: that directory
# shadows Debian's whole go-plugin, so it must hold the library too.
GOPATH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/build-kv.XXXXXX")
trap 'rm -rf "$GOPATH_TMP"' EXIT
GP=$GOPATH_TMP/src/github.com/hashicorp/go-plugin
mkdir -p "$GOPATH_TMP/src/github.com/hashicorp" "$GOPATH_TMP/x"
tar -xJf "$TARBALL" -C "$GOPATH_TMP/x"
case $LIB in
  debian) cp -R $GC/github.com/hashicorp/go-plugin "$GP" && cp -R "$GOPATH_TMP/x/go-plugin-1.0.1/examples" "$GP/" ;;
  tarball) mv "$GOPATH_TMP/x/go-plugin-1.0.1" "$GP" ;;
esac

export GO111MODULE=off GOPATH="$GOPATH_TMP:/usr/share/gocode" GOCACHE="$OUT/.gocache" GOFLAGS= GOPROXY=off CGO_ENABLED=0
gobuild() { # OUTPUT PACKAGE-DIR
  (cd "$2" && nice go build -o "$OUT/$1.part" .) && mv "$OUT/$1.part" "$OUT/$1" && echo "built: $OUT/$1"
}
protoset() { # OUTPUT PROTO-DIR
  nice protoc -I "$2" --include_imports --descriptor_set_out="$OUT/$1.part" "$2/kv.proto" && mv "$OUT/$1.part" "$OUT/$1" \
    && echo "built: $OUT/$1"
}
for f in $stale; do
  case $f in
    kv-go-grpc) gobuild $f "$GP/examples/grpc/plugin-go-grpc" ;;
    kv-go-netrpc) gobuild $f "$GP/examples/grpc/plugin-go-netrpc" ;;
    kv-host) gobuild $f "$GP/examples/grpc" ;;
    kv.protoset) protoset $f "$GP/examples/grpc/proto" ;;
    kv_pb2.py) mkdir -p "$GOPATH_TMP/py" && nice protoc -I "$GP/examples/grpc/proto" --python_out="$GOPATH_TMP/py" "$GP/examples/grpc/proto/kv.proto" \
      && mv "$GOPATH_TMP/py/kv_pb2.py" "$OUT/kv_pb2.py" && echo "built: $OUT/kv_pb2.py" ;;
    counter-go-grpc) gobuild $f "$GP/examples/bidirectional/plugin-go-grpc" ;;
    counter-host) gobuild $f "$GP/examples/bidirectional" ;;
    counter.protoset) protoset $f "$GP/examples/bidirectional/proto" ;;
  esac
done
if [ -n "$peer" ]; then
  mkdir -p "$GOPATH_TMP/src/goplugin-kv"
  cp "$PEER_SRC" "$GOPATH_TMP/src/goplugin-kv/"
  gobuild goplugin-kv "$GOPATH_TMP/src/goplugin-kv"
fi
