#!/usr/bin/env python3
"""Cold/warm start to ready and idle RSS: Atrium's distribution beside Apache Karaf, same machine, same run.

Usage: python3 bench/startup.py [RUNS]   (SKIP_KARAF=1 measures Atrium alone)   (after `mvn -q -B package -DskipTests`; fetches Karaf from Maven Central)

Atrium is ready when it prints its 'Atrium is running' line: base set active, both sample Greeters
registered, shell commands registered, control socket open. Karaf is ready when its SSH shell port
accepts a connection. RSS is read from /proc after IDLE_S (10) s idle: a server that has settled, its
start-up's compiling done and the memory it freed returned (bin/atrium trims C's heap every 5 s).
"""
import os, shutil, signal, socket, statistics, subprocess, sys, tarfile, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIST = os.environ.get("ATRIUM_DIST", os.path.join(ROOT, "runtime", "target", "atrium"))  # another build to compare
WORK = os.path.join(ROOT, "bench", "target")
KARAF_VERSION = "4.4.8"
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
IDLE_S = 10


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def atrium_once(data):
    t0 = time.perf_counter()
    p = subprocess.Popen([os.path.join(DIST, "bin", "atrium"), "--data", data], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in p.stdout:
        if "Atrium is running" in line:
            break
    ready = time.perf_counter() - t0
    time.sleep(IDLE_S)
    rss = rss_mib(p.pid)
    p.send_signal(signal.SIGTERM)
    p.wait(30)
    assert p.returncode == 0, f"atrium exited {p.returncode}"
    return ready, rss


def karaf_home():
    home = os.path.join(WORK, f"apache-karaf-{KARAF_VERSION}")
    if not os.path.isdir(home):
        os.makedirs(WORK, exist_ok=True)
        subprocess.run(["mvn", "-q", "-B", "dependency:copy", f"-Dartifact=org.apache.karaf:apache-karaf:{KARAF_VERSION}:tar.gz",
                        f"-DoutputDirectory={WORK}"], check=True)
        with tarfile.open(os.path.join(WORK, f"apache-karaf-{KARAF_VERSION}.tar.gz")) as tar:
            tar.extractall(WORK)
    return home


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.05)
        return s.connect_ex(("127.0.0.1", port)) == 0


def karaf_once(home, clean):
    if clean:
        shutil.rmtree(os.path.join(home, "data"), ignore_errors=True)
    t0 = time.perf_counter()
    env = dict(os.environ)
    env.setdefault("JAVA_HOME", os.path.dirname(os.path.dirname(os.path.realpath(shutil.which("java")))))
    env["CHECK_ROOT_INSTANCE_RUNNING"] = "false"  # its pid check trips on pids reused by the Atrium runs
    p = subprocess.Popen([os.path.join(home, "bin", "karaf"), "server"], stdin=subprocess.DEVNULL, env=env,
                         stdout=open(os.path.join(WORK, "karaf.out"), "w"), stderr=subprocess.STDOUT, start_new_session=True)
    while not port_open(8101):
        if p.poll() is not None:
            raise RuntimeError("karaf exited")
        time.sleep(0.01)
    ready = time.perf_counter() - t0
    time.sleep(IDLE_S)
    java = subprocess.run(["pgrep", "-f", "-n", "org.apache.karaf.main.Main"], capture_output=True, text=True).stdout.split()
    rss = rss_mib(int(java[0])) if java else float("nan")
    os.killpg(p.pid, signal.SIGTERM)
    p.wait(60)
    while port_open(8101):
        time.sleep(0.05)
    return ready, rss


def summary(name, samples):
    ready = [s[0] for s in samples]
    rss = [s[1] for s in samples]
    print(f"{name:28s} ready median {statistics.median(ready)*1000:7.0f} ms  (min {min(ready)*1000:.0f}, max {max(ready)*1000:.0f})"
          f"   RSS median {statistics.median(rss):6.1f} MiB")
    return statistics.median(ready), statistics.median(rss)


def main():
    results = {}
    # bin/atrium makes its class-data archive at the first start after a build (a training start of ~1-3 s):
    # made here, before timing, so no measured start includes it
    subprocess.run([os.path.join(DIST, "bin", "atrium"), "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    cold = []
    for _ in range(RUNS):
        data = tempfile.mkdtemp(prefix="atrium-bench-")
        cold.append(atrium_once(data))
        shutil.rmtree(data) if len(cold) < RUNS else None
    results["atrium cold"] = summary("Atrium cold (new data)", cold)
    warm = [atrium_once(data) for _ in range(RUNS)]
    shutil.rmtree(data)
    results["atrium warm"] = summary("Atrium warm (same data)", warm)
    if os.environ.get("SKIP_KARAF"):
        return
    home = karaf_home()
    kcold = [karaf_once(home, True) for _ in range(max(3, RUNS // 2))]
    results["karaf cold"] = summary(f"Karaf {KARAF_VERSION} cold", kcold)
    kwarm = [karaf_once(home, False) for _ in range(max(3, RUNS // 2))]
    results["karaf warm"] = summary(f"Karaf {KARAF_VERSION} warm", kwarm)
    print(f"ratio Karaf/Atrium: cold start {results['karaf cold'][0]/results['atrium cold'][0]:.1f}x, "
          f"warm start {results['karaf warm'][0]/results['atrium warm'][0]:.1f}x, "
          f"idle RSS {results['karaf warm'][1]/results['atrium warm'][1]:.1f}x")


if __name__ == "__main__":
    main()
