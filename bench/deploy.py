#!/usr/bin/env python3
"""Deploy latency and 1000-plugin drop: Atrium's folder deployer beside Felix FileInstall 3.7.4 (2 s and 50 ms polls).

Usage: mvn -q -B install -DskipTests && python3 bench/deploy.py [RUNS] [BULK]

Each mode runs in its own JVM (io.atrium.bench.deploy.DeployBenchmark): install = rename into the folder
until the plugin's Greeter service is registered; update = a new version renamed over it until the new
version's service is registered; uninstall = delete until the bundle is uninstalled; bulk = BULK jars
renamed in at once until all are active, then the JVM's RSS after a GC.
"""
import glob, os, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = sys.argv[1] if len(sys.argv) > 1 else "50"
BULK = sys.argv[2] if len(sys.argv) > 2 else "1000"


def classpath():
    with tempfile.NamedTemporaryFile("r", suffix=".cp") as f:
        subprocess.run(["mvn", "-q", "-B", "-Dstyle.color=never", "dependency:build-classpath", f"-Dmdep.outputFile={f.name}"],
                       cwd=os.path.join(ROOT, "bench", "jmh"), check=True, stdout=subprocess.DEVNULL)
        return os.path.join(ROOT, "bench", "jmh", "target", "classes") + ":" + f.read().strip()


def main():
    cp = classpath()
    sample = glob.glob(os.path.join(ROOT, "bundles", "sample-plugin", "target", "io.atrium.sample.greeter-*.jar"))[0]
    fileinstall = [p for p in cp.split(":") if "org.apache.felix.fileinstall" in p][0]
    results = {}
    for mode in ["atrium", "fileinstall-50", "fileinstall-2000"]:
        runs = RUNS if mode != "fileinstall-2000" else str(min(int(RUNS), 10))  # 2 s polls: fewer runs
        run = subprocess.run(["java", "-XX:+UseSerialGC", "-cp", cp, "io.atrium.bench.deploy.DeployBenchmark", mode, sample,
                              fileinstall, runs, BULK], capture_output=True, text=True)
        out = run.stdout
        if run.returncode != 0:
            print(f"{mode} failed: " + " | ".join(run.stderr.strip().splitlines()[-3:]))
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 4 and parts[0] == mode:
                results[(mode, parts[1])] = (float(parts[2]), parts[3])
                if len(parts) > 4:
                    print(f"{mode} {parts[1]}: {' '.join(parts[4:])}")
    metrics = sorted({k[1] for k in results}, key=lambda m: (not m.startswith(("install", "update", "uninstall")), m))
    print(f"{'figure':22s} {'Atrium':>12s} {'FileInstall 50ms':>18s} {'FileInstall 2s':>16s} {'50ms/Atrium':>12s}")
    for m in metrics:
        a = results.get(("atrium", m))
        f50 = results.get(("fileinstall-50", m))
        f2 = results.get(("fileinstall-2000", m))
        fmt = lambda r: (f"{r[0]:.1f} {r[1]}" if r[0] >= 0 else "not done") if r else "-"
        ratio = f"{f50[0] / a[0]:.1f}x" if a and f50 and a[0] > 0 and f50[0] > 0 and not m.endswith("rss") else ""
        print(f"{m:22s} {fmt(a):>12s} {fmt(f50):>18s} {fmt(f2):>16s} {ratio:>12s}")


if __name__ == "__main__":
    main()
