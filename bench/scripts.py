#!/usr/bin/env python3
"""Script plugins: Atrium's JavaScript (Rhino) and Lua (LuaJ) plugins beside goja and gopher-lua, in one run.

Usage: mvn -q -B install -DskipTests && python3 bench/scripts.py     # ~6 minutes

Needs Debian's golang-go, golang-github-dop251-goja-dev and golang-github-yuin-gopher-lua-dev (installed
with apt-get when missing and run as root). Builds bench/scripts/gopeer (the Go interpreters calling the
same functions, GOPATH mode, offline) and examples/process/go-greeter (the process row), then runs
io.atrium.bench.jmh.ScriptCallBenchmark (JMH: the Greeter in the JVM, as wasm, as a process, as
JavaScript and as Lua, through the service consumers get), io.atrium.bench.scripts.ScriptEngineBenchmark
(the engines alone, outside the server), io.atrium.bench.scripts.ScriptLoadBenchmark
(load and reload times) and the Go peer, and prints one table.
"""
import json, os, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ["golang-go", "golang-github-dop251-goja-dev", "golang-github-yuin-gopher-lua-dev"]
JMH = os.environ.get("JMH_OPTS", "-f 2 -wi 3 -i 5 -w 1 -r 1").split()


def ensure_go():
    if shutil.which("go") and all(os.path.isdir("/usr/share/gocode/src/github.com/" + d) for d in ["dop251/goja", "yuin/gopher-lua"]):
        return
    if os.geteuid() != 0:
        sys.exit("needs " + " ".join(PACKAGES) + ": apt-get install -y " + " ".join(PACKAGES))
    subprocess.run(["apt-get", "install", "-y", "-q"] + PACKAGES, check=True, stdout=subprocess.DEVNULL)


def build(tmp):
    env = dict(os.environ, GO111MODULE="off", GOPATH=f"{tmp}:/usr/share/gocode", GOCACHE=os.path.join(tmp, "cache"))
    for name, src in [("gopeer", "bench/scripts/gopeer"), ("go-greeter", "examples/process/go-greeter")]:
        pkg = os.path.join(tmp, "src", name)
        shutil.copytree(os.path.join(ROOT, src), pkg)
        subprocess.run(["go", "build", "-o", os.path.join(tmp, name), "."], cwd=pkg, env=env, check=True)
    return os.path.join(tmp, "gopeer"), os.path.join(tmp, "go-greeter")


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
            try:
                out[parts[0]] = (float(parts[1]), parts[2])
            except ValueError:
                pass
    return out


def jmh(cp, greeter, tmp):
    sample = next(f for f in os.listdir(os.path.join(ROOT, "bundles/sample-plugin/target")) if f.startswith("io.atrium.sample.greeter-") and f.endswith(".jar"))
    props = (f"-Datrium.sample.jar={ROOT}/bundles/sample-plugin/target/{sample} -Datrium.examples={ROOT}/examples "
             f"-Datrium.goGreeter={greeter}")
    out = os.path.join(tmp, "jmh.json")
    subprocess.run(["java", "-cp", cp, "org.openjdk.jmh.Main", "ScriptCallBenchmark|ScriptEngineBenchmark", *JMH, "-rf", "json", "-rff", out,
                    "-jvmArgsAppend", props], check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        return {r["benchmark"].rsplit(".", 1)[1] + "/" + r.get("params", {}).get("observability", "engine"):
                (r["primaryMetric"]["score"], r["primaryMetric"]["scoreError"], r["primaryMetric"]["scoreUnit"]) for r in json.load(f)}


def main():
    ensure_go()
    with tempfile.TemporaryDirectory() as tmp:
        peer, greeter = build(tmp)
        cp = classpath()
        atrium = jmh(cp, greeter, tmp)
        load = figures(["java", "-XX:+UseSerialGC", "-cp", cp, "io.atrium.bench.scripts.ScriptLoadBenchmark", os.path.join(ROOT, "bench", "scripts")])
        go = figures([peer, os.path.join(ROOT, "bench", "scripts")])
    fmt = lambda s: f"{s[0]:.1f} ± {s[1]:.1f} {s[2]}" if s else "-"
    print(f"{'call (through the service consumers get)':34s} {'traced (as shipped)':>24s} {'unsampled':>24s}")
    for name in ["greetJava", "greetWasm", "greetProcess", "greetJavaScript", "greetLua", "greetJavaScriptExample", "greetLuaExample",
                 "fib25JavaScript", "fib25Lua"]:
        print(f"{name:34s} {fmt(atrium.get(name + '/traced')):>24s} {fmt(atrium.get(name + '/unsampled')):>24s}")
    print()
    for name in ["javaScriptEngine", "luaEngine"]:
        print(f"{name + ' (the engine alone)':34s} {fmt(atrium.get(name + '/engine')):>24s}")
    print()
    print(f"{'the same script, Go peer':30s} {'Atrium traced':>14s} {'unsampled':>14s} {'Go':>14s} {'traced / Go':>12s} {'unsampled / Go':>15s}")
    for ours, theirs in [("greetJavaScript", "goja.greet"), ("greetLua", "gopher-lua.greet"), ("fib25JavaScript", "goja.fib25"),
                         ("fib25Lua", "gopher-lua.fib25"), ("javaScriptEngine", "goja.greet"), ("luaEngine", "gopher-lua.greet")]:
        t, u, g = atrium.get(ours + "/traced") or atrium.get(ours + "/engine"), atrium.get(ours + "/unsampled"), go.get(theirs)
        ratio = lambda a: f"{a[0] / g[0]:.2f}x" if a and g and g[0] > 0 else ""
        print(f"{ours + ' / ' + theirs:30s} {(f'{t[0]:.1f}' if t else '-'):>14s} {(f'{u[0]:.1f}' if u else '-'):>14s} "
              f"{(f'{g[0]:.1f} {g[1]}' if g else '-'):>14s} {ratio(t):>12s} {ratio(u):>15s}")
    print()
    for k, v in sorted(load.items()):
        print(f"{k:30s} {v[0]:g} {v[1]}")


if __name__ == "__main__":
    main()
