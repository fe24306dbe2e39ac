#!/usr/bin/env python3
"""What judging plugin bundles again at every start costs: a warm start on a folder of N signed plugin
bundles under bundleSignatures = warn (nothing is read) against enforce (the framework's cached copy of
each is verified, every entry's digest and the signer's chain).

Usage: python3 bench/trust.py [N] [RUNS]   (after `mvn -q -B package -DskipTests`; N = 40, RUNS = 7)

Each run is `bin/atrium --command plugin:deploys` on a data folder that already holds the N bundles
(warm): start, every plugin active, the command, stop. Its wall time is measured; the two policies
alternate, each on its own data folder, so that neither run changes the other's policy.
"""
import os, re, shutil, statistics, subprocess, sys, time, zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIST = os.environ.get("ATRIUM_DIST", os.path.join(ROOT, "runtime", "target", "atrium"))
WORK = os.path.join(ROOT, "bench", "target", "trust")
N = int(sys.argv[1]) if len(sys.argv) > 1 else 40
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 7
JDK = os.path.join(os.environ.get("JAVA_HOME", os.path.dirname(os.path.dirname(os.path.realpath(shutil.which("java"))))), "bin")
SAMPLE = os.path.join(DIST, "plugins", "io.atrium.sample.greeter.jar")


def tool(name, *args):
    subprocess.run([os.path.join(JDK, name), *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def renamed(src, dst, bsn):
    """The sample bundle under another symbolic name (so that N of them can be deployed side by side)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "META-INF/MANIFEST.MF":
                data = re.sub(rb"Bundle-SymbolicName: [^\r\n]+", b"Bundle-SymbolicName: " + bsn.encode(), data)
            zout.writestr(item, data)


def folder(policy, store):
    plugins = os.path.join(WORK, "plugins-" + policy)
    os.makedirs(plugins)
    for i in range(N):
        jar = os.path.join(WORK, f"unsigned-{i}.jar")
        if not os.path.exists(jar):
            renamed(SAMPLE, jar, f"bench.signed{i}")
            tool("jarsigner", "-keystore", os.path.join(WORK, "author.p12"), "-storepass", "secret1",
                 "-signedjar", os.path.join(WORK, f"signed-{i}.jar"), jar, "author")
        shutil.copy(os.path.join(WORK, f"signed-{i}.jar"), os.path.join(plugins, f"signed-{i}.jar"))
    with open(os.path.join(plugins, "io.atrium.trust.cfg"), "w") as f:
        f.write(f"bundleSignatures = {policy}\ntrustStore = {store}\ntrustStorePassword = trustpass\n")
    return plugins


def run(policy, plugins):
    t0 = time.perf_counter()
    out = subprocess.run([os.path.join(DIST, "bin", "atrium"), "--data", os.path.join(WORK, "data-" + policy), "--plugins", plugins,
                          "--command", "plugin:deploys"], check=True, capture_output=True, text=True).stdout
    took = (time.perf_counter() - t0) * 1000
    active = sum(1 for line in out.splitlines() if re.match(r"signed-\d+\.jar .* active", line))
    assert active == N, f"{policy}: {active} of {N} active:\n{out}"
    return took


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    tool("keytool", "-genkeypair", "-alias", "author", "-keyalg", "EC", "-dname", "CN=Bench Author", "-validity", "30",
         "-keystore", os.path.join(WORK, "author.p12"), "-storetype", "PKCS12", "-storepass", "secret1")
    tool("keytool", "-exportcert", "-alias", "author", "-keystore", os.path.join(WORK, "author.p12"), "-storepass", "secret1",
         "-file", os.path.join(WORK, "author.cer"))
    store = os.path.join(WORK, "trust.p12")
    tool("keytool", "-importcert", "-noprompt", "-alias", "author", "-file", os.path.join(WORK, "author.cer"),
         "-keystore", store, "-storetype", "PKCS12", "-storepass", "trustpass")
    folders = {p: folder(p, store) for p in ("warn", "enforce")}
    for p in folders:
        os.makedirs(os.path.join(WORK, "data-" + p))
    for p in folders:
        run(p, folders[p])  # cold: installs everything; not counted
    times = {p: [] for p in folders}
    for _ in range(RUNS):
        for p in folders:
            times[p].append(run(p, folders[p]))
    size = os.path.getsize(os.path.join(WORK, "signed-0.jar"))
    print(f"{N} signed bundles of {size} bytes, warm start to all active and stopped, ms:")
    for p, t in times.items():
        print(f"  {p:8} median {statistics.median(t):6.0f}   runs {' '.join(f'{x:.0f}' for x in t)}")
    d = statistics.median(times["enforce"]) - statistics.median(times["warn"])
    print(f"  enforce - warn: {d:.0f} ms, {d / N:.1f} ms a bundle")


if __name__ == "__main__":
    main()
