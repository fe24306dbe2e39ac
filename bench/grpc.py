#!/usr/bin/env python3
"""gRPC transport: Atrium with go-plugin's own KV example plugin beside go-plugin's Go host (gRPC), in one run.

Usage: mvn -q -B install -DskipTests && python3 bench/grpc.py

examples/grpc/build-kv.sh builds the unmodified KV plugin (kv-go-grpc), its descriptor set and the Go peer
(bench/grpc/goplugin, goplugin-kv) from Debian's packages; then io.atrium.bench.grpc.GrpcBenchmark and the peer
run one after the other with the same plugin binary; each prints `name value unit` lines.
"""
import os, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from process import classpath, figures  # noqa: E402  the same class path and line reading as bench/process.py


def main():
    with tempfile.TemporaryDirectory() as tmp:
        built = os.path.join(tmp, "built")
        subprocess.run(["sh", os.path.join(ROOT, "examples", "grpc", "build-kv.sh"), built], check=True, stdout=subprocess.DEVNULL)
        atrium = figures(["java", "-XX:+UseSerialGC", "-cp", classpath(), "io.atrium.bench.grpc.GrpcBenchmark", built])
        goplugin = figures([os.path.join(built, "goplugin-kv"), "bench", os.path.join(built, "kv-go-grpc")])
    print(f"{'figure':22s} {'Atrium (KV plugin)':>20s} {'go-plugin gRPC':>18s} {'peer/Atrium':>12s}")
    for m in ["sequential.p50", "sequential.p99", "sequential.host-cpu", "throughput.8", "launch.first-call", "crash.first-failure"]:
        a, g = atrium.get(m), goplugin.get(m)
        fmt = lambda r: f"{r[0]:g} {r[1]}" if r else "-"
        ratio = ""
        if a and g and a[0] > 0 and g[0] > 0:
            ratio = f"{(g[0] / a[0]) if not m.startswith('throughput') else (a[0] / g[0]):.2f}x"
        print(f"{m:22s} {fmt(a):>20s} {fmt(g):>18s} {ratio:>12s}")


if __name__ == "__main__":
    main()
