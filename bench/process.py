#!/usr/bin/env python3
"""Process transport: Atrium with a Go plugin beside hashicorp/go-plugin (net/rpc), in one run.

Usage: mvn -q -B install -DskipTests && python3 bench/process.py

Needs Debian's golang-go and golang-github-hashicorp-go-plugin-dev (installed with apt-get when missing
and run as root). Builds examples/process/go-greeter (Atrium's protocol, Go standard library) and
bench/process/goplugin (the peer, GOPATH mode, offline), then runs
io.atrium.bench.process.ProcessBenchmark and the peer; each prints `name value unit` lines.
"""
import os, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# go-plugin's Debian package does not depend on what its gRPC half imports, though GOPATH builds need it
PACKAGES = ["golang-go", "golang-github-hashicorp-go-plugin-dev", "golang-google-grpc-dev", "golang-github-golang-protobuf-1-5-dev",
            "golang-golang-x-net-dev"]


def ensure_go():
    if shutil.which("go") and all(os.path.isdir("/usr/share/gocode/src/" + d) for d in
                                  ["github.com/hashicorp/go-plugin", "google.golang.org/grpc", "github.com/golang/protobuf/proto"]):
        return
    if os.geteuid() != 0:
        sys.exit("needs " + " ".join(PACKAGES) + ": apt-get install -y " + " ".join(PACKAGES))
    subprocess.run(["apt-get", "install", "-y", "-q"] + PACKAGES, check=True, stdout=subprocess.DEVNULL)


def build(tmp):
    env = dict(os.environ, GO111MODULE="off", GOPATH=f"{tmp}:/usr/share/gocode", GOCACHE=os.path.join(tmp, "cache"))
    for name, src in [("go-greeter", "examples/process/go-greeter"), ("goplugin-bench", "bench/process/goplugin")]:
        pkg = os.path.join(tmp, "src", name)
        shutil.copytree(os.path.join(ROOT, src), pkg)
        subprocess.run(["go", "build", "-o", os.path.join(tmp, name), "."], cwd=pkg, env=env, check=True)
    return os.path.join(tmp, "go-greeter"), os.path.join(tmp, "goplugin-bench")


def classpath():
    with tempfile.NamedTemporaryFile("r", suffix=".cp") as f:
        subprocess.run(["mvn", "-q", "-B", "-Dstyle.color=never", "dependency:build-classpath", f"-Dmdep.outputFile={f.name}"],
                       cwd=os.path.join(ROOT, "bench", "jmh"), check=True, stdout=subprocess.DEVNULL)
        return os.path.join(ROOT, "bench", "jmh", "target", "classes") + ":" + f.read().strip()


def figures(cmd):
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        print(f"{cmd[0]} failed: " + " | ".join(run.stderr.strip().splitlines()[-3:]))
    out = {}
    for line in run.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            out[parts[0]] = (float(parts[1]), parts[2])
    return out


def main():
    ensure_go()
    with tempfile.TemporaryDirectory() as tmp:
        greeter, peer = build(tmp)
        atrium = figures(["java", "-XX:+UseSerialGC", "-cp", classpath(), "io.atrium.bench.process.ProcessBenchmark", greeter])
        goplugin = figures([peer, "bench", greeter])
    lower_is_better = lambda m: not m.startswith("throughput")
    print(f"{'figure':22s} {'Atrium (Go plugin)':>20s} {'go-plugin net/rpc':>18s} {'peer/Atrium':>12s}")
    for m in ["sequential.p50", "sequential.p99", "throughput.8", "launch.first-call", "crash.first-failure", "exec.p50", "exec.p99"]:
        a, g = atrium.get(m), goplugin.get(m)
        fmt = lambda r: f"{r[0]:g} {r[1]}" if r else "-"
        ratio = ""
        if a and g and a[0] > 0 and g[0] > 0:
            ratio = f"{(g[0] / a[0]) if lower_is_better(m) else (a[0] / g[0]):.2f}x"
        print(f"{m:22s} {fmt(a):>20s} {fmt(g):>18s} {ratio:>12s}")
    print("exec: Atrium's exec mode (a process per call through the proxy) vs Go's exec.Command of the same binary")


if __name__ == "__main__":
    main()
