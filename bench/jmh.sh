#!/usr/bin/env bash
# Runs the JMH benchmarks against a real embedded Atrium. Usage: bench/jmh.sh [JMH options, e.g. -f 1 -wi 3 -i 5]
# Needs `mvn -q -B install -DskipTests` first (the benchmarks install the built sample and consumer bundles).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/bench/jmh"
mvn="mvn -q -B -Dstyle.color=never"
cpfile=$(mktemp)
trap 'rm -f "$cpfile"' EXIT
$mvn dependency:build-classpath -Dmdep.outputFile="$cpfile" >/dev/null
sample=$(ls "$root"/bundles/sample-plugin/target/io.atrium.sample.greeter-*.jar | head -1)
consumer=$(ls "$root"/bench/jmh/target/io.atrium.bench-*.jar | head -1)
props="-Datrium.sample.jar=$sample -Datrium.bench.jar=$consumer -Datrium.examples=$root/examples"
java -cp "target/classes:$(cat "$cpfile")" org.openjdk.jmh.Main -jvmArgsAppend "$props" "$@"
