#!/usr/bin/env bash
# Module load times of the wasm transport (io.atrium.bench.wasm.WasmLoadBenchmark).
# Usage: mvn -q -B install -DskipTests && bench/wasm-load.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/bench/jmh"
cpfile=$(mktemp)
trap 'rm -f "$cpfile"' EXIT
mvn -q -B -Dstyle.color=never dependency:build-classpath -Dmdep.outputFile="$cpfile" >/dev/null
java -XX:+UseSerialGC -cp "target/classes:$(cat "$cpfile")" io.atrium.bench.wasm.WasmLoadBenchmark "$root/examples" 2>/dev/null
