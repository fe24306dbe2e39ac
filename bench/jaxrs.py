#!/usr/bin/env python3
"""What the Jakarta RESTful Web Services whiteboard would cost Atrium: its bundles, their bytes, start-up and memory.

Usage: python3 bench/jaxrs.py [RUNS]   (after `mvn -q -B package -DskipTests`; fetches the whiteboard from Maven
Central with `mvn dependency:copy`; MVN_ARGS adds options to those mvn calls, e.g. "-o -Dmaven.repo.local=...")

The whiteboard is the OSGi reference implementation (Eclipse OSGi Technology's, on Jersey and HK2) with its
servlet whiteboard adapter, so it runs on the Felix Jetty Atrium already has; with it goes a one-resource
bundle (GET /ping) so the measure is of a whiteboard that serves, not of bundles that merely resolved. The
two variants share one distribution and alternate: `base`, the distribution's plugin folder; `jaxrs`, the same
plus the whiteboard's bundles (installed from the plugin folder, as a product would add them). Each run is a
start on a new data folder (cold: the bundles are installed) and one on the same folder again (warm). Timed
from the launch: `ready` (the 'Atrium is running' line), `api` (GET /api/plugins answers 200, the HTTP API of
today's servlet) and, for jaxrs, `ping` (GET /ping answers 200). After IDLE_S (10) s idle: RSS, and the
heap in use after a full collection (jcmd). The whiteboard's classes are not in the class-data archive
(bin/atrium trains it on the base set), as they would be if it were in the base set: a cost this overstates.
"""
import os, shutil, signal, statistics, subprocess, sys, tempfile, time, urllib.request, urllib.error

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIST = os.environ.get("ATRIUM_DIST", os.path.join(ROOT, "runtime", "target", "atrium"))
WORK = os.path.join(ROOT, "bench", "target", "jaxrs")
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
IDLE_S = 10
PORT = 18291
# The whiteboard and what it needs beyond Atrium's base set (Felix Jetty 11, the servlet API, SCR, Config Admin,
# the OSGi promise and function): found by installing it and reading what did not resolve.
ARTIFACTS = [
    "org.eclipse.osgi-technology.rest:org.eclipse.osgitech.rest:1.2.2",
    "org.eclipse.osgi-technology.rest:org.eclipse.osgitech.rest.servlet.whiteboard:1.2.2",
    "org.eclipse.osgi-technology.rest:org.eclipse.osgitech.rest.sse:1.2.2",
    "org.osgi:org.osgi.service.jakartars:2.0.0",
    "jakarta.ws.rs:jakarta.ws.rs-api:3.1.0",
    "org.glassfish.jersey.core:jersey-common:3.1.3",
    "org.glassfish.jersey.core:jersey-server:3.1.3",
    "org.glassfish.jersey.core:jersey-client:3.1.3",
    "org.glassfish.jersey.inject:jersey-hk2:3.1.3",
    "org.glassfish.jersey.containers:jersey-container-servlet-core:3.1.3",
    "org.glassfish.jersey.containers:jersey-container-servlet:3.1.3",
    "org.glassfish.jersey.media:jersey-media-jaxb:3.1.3",
    "org.glassfish.jersey.media:jersey-media-sse:3.1.3",
    "org.glassfish.hk2:hk2-api:3.0.5",
    "org.glassfish.hk2:hk2-locator:3.0.4",
    "org.glassfish.hk2:hk2-utils:3.0.5",
    "org.glassfish.hk2:osgi-resource-locator:1.0.3",
    "org.glassfish.hk2.external:aopalliance-repackaged:3.0.5",
    "org.javassist:javassist:3.29.2-GA",
    "jakarta.inject:jakarta.inject-api:2.0.1",
    "jakarta.annotation:jakarta.annotation-api:2.1.1",
    "jakarta.validation:jakarta.validation-api:3.0.2",
    "jakarta.xml.bind:jakarta.xml.bind-api:4.0.0",
    "jakarta.activation:jakarta.activation-api:2.1.0",
    "org.apache.aries.spifly:org.apache.aries.spifly.dynamic.bundle:1.3.7",
    "org.ow2.asm:asm:9.6",
    "org.ow2.asm:asm-commons:9.6",
    "org.ow2.asm:asm-tree:9.6",
    "org.ow2.asm:asm-util:9.6",
    "org.ow2.asm:asm-analysis:9.6",
]
PING = """package bench.ping;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import java.util.Hashtable;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

@Path("ping")
public class Ping implements BundleActivator {
    @GET
    @Produces("text/plain")
    public String ping() {
        return "pong";
    }

    @Override
    public void start(BundleContext context) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("osgi.jakartars.resource", Boolean.TRUE);
        context.registerService(Ping.class, new Ping(), p);
    }

    @Override
    public void stop(BundleContext context) {
    }
}
"""
MANIFEST = """Manifest-Version: 1.0
Bundle-ManifestVersion: 2
Bundle-SymbolicName: bench.ping
Bundle-Version: 1.0.0
Bundle-Activator: bench.ping.Ping
Import-Package: jakarta.ws.rs;version="[3,4)",org.osgi.framework
"""


def fetch():
    jars = os.path.join(WORK, "bundles")
    if not os.path.isdir(jars):
        os.makedirs(jars + ".part", exist_ok=True)
        for a in ARTIFACTS:
            subprocess.run(["mvn", "-q", "-B", *os.environ.get("MVN_ARGS", "").split(), "dependency:copy", f"-Dartifact={a}",
                            f"-DoutputDirectory={jars}.part"], check=True, stdout=subprocess.DEVNULL)
        os.rename(jars + ".part", jars)
    return jars


def ping_bundle(jars):
    """The one-resource bundle, compiled against the whiteboard's API and the framework's."""
    out = os.path.join(WORK, "bench-ping.jar")
    if not os.path.exists(out):
        src = os.path.join(WORK, "ping", "bench", "ping")
        os.makedirs(src, exist_ok=True)
        with open(os.path.join(src, "Ping.java"), "w") as f:
            f.write(PING)
        with open(os.path.join(WORK, "ping", "MANIFEST.MF"), "w") as f:
            f.write(MANIFEST)
        classes = os.path.join(WORK, "ping", "classes")
        cp = [os.path.join(jars, "jakarta.ws.rs-api-3.1.0.jar"), os.path.join(DIST, "lib", "org.apache.felix.framework.jar")]
        subprocess.run(["javac", "-d", classes, "-cp", os.pathsep.join(cp), os.path.join(src, "Ping.java")], check=True)
        subprocess.run(["jar", "cfm", out, os.path.join(WORK, "ping", "MANIFEST.MF"), "-C", classes, "."], check=True)
    return out


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def heap_used_mib(pid):
    """The heap in use after a full collection: what the server keeps, not what it has not yet freed."""
    subprocess.run(["jcmd", str(pid), "GC.run"], capture_output=True, check=True)
    info = subprocess.run(["jcmd", str(pid), "GC.heap_info"], capture_output=True, text=True, check=True).stdout
    # serial GC: "def new generation total …K, used …K" and "tenured generation total …K, used …K"
    used = 0
    for line in info.splitlines():
        if "generation" in line and "used" in line:
            used += int(line.split("used")[1].split("K")[0].strip())
    return used / 1024


def answers(path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=1) as r:
            return r.status == 200
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


def once(plugins, data, paths):
    t0 = time.perf_counter()
    p = subprocess.Popen([os.path.join(DIST, "bin", "atrium"), "--data", data, "--plugins", plugins, "--http", f"127.0.0.1:{PORT}"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in p.stdout:
        if "Atrium is running" in line:
            break
    times = {"ready": time.perf_counter() - t0}
    # the rest of its output is not read: to a file, so the server never blocks on a full pipe
    drain = subprocess.Popen(["cat"], stdin=p.stdout, stdout=open(os.path.join(WORK, "last.log"), "w"))
    waiting = list(paths)
    deadline = time.perf_counter() + 120
    while waiting and time.perf_counter() < deadline:
        for path in list(waiting):
            if answers(path):
                times[path] = time.perf_counter() - t0
                waiting.remove(path)
        time.sleep(0.01)
    if waiting:
        p.send_signal(signal.SIGTERM)
        raise RuntimeError(f"{waiting} never answered; see {WORK}/last.log")
    time.sleep(IDLE_S)
    times["rss"] = rss_mib(p.pid)
    times["heap"] = heap_used_mib(p.pid)
    p.send_signal(signal.SIGTERM)
    p.wait(30)
    drain.wait(30)
    return times


def main():
    jars = fetch()
    ping = ping_bundle(jars)
    os.makedirs(WORK, exist_ok=True)
    folders = {}
    for variant in ("base", "jaxrs"):
        folder = os.path.join(WORK, "plugins-" + variant)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(os.path.join(DIST, "plugins"), folder)
        if variant == "jaxrs":
            for j in os.listdir(jars):
                shutil.copy(os.path.join(jars, j), folder)
            shutil.copy(ping, folder)
            # the whiteboard's servlet adapter starts only once configured (its component requires a configuration)
            with open(os.path.join(folder, "JakartarsServletWhiteboardRuntimeComponent.cfg"), "w") as f:
                f.write("jersey.jakartars.whiteboard.name = atrium\n")
        folders[variant] = folder
    added = [os.path.join(jars, j) for j in os.listdir(jars)] + [ping]
    print(f"jaxrs adds {len(added)} bundles (the resource bundle among them), {sum(os.path.getsize(j) for j in added) / 1e6:.2f} MB")
    # bin/atrium makes its class-data archive at the first start after a build: made here, before timing
    subprocess.run([os.path.join(DIST, "bin", "atrium"), "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    paths = {"base": ["/api/plugins"], "jaxrs": ["/api/plugins", "/ping"]}
    samples = {(v, k): [] for v in folders for k in ("cold", "warm")}
    for _ in range(RUNS):
        for variant, folder in folders.items():  # alternating, so both see the same machine
            data = tempfile.mkdtemp(prefix="atrium-jaxrs-")
            samples[(variant, "cold")].append(once(folder, data, paths[variant]))
            samples[(variant, "warm")].append(once(folder, data, paths[variant]))
            shutil.rmtree(data)
    for (variant, start), runs in samples.items():
        cells = []
        for key in ["ready", *paths[variant]]:
            ms = [r[key] * 1000 for r in runs]
            cells.append(f"{key} {statistics.median(ms):6.0f} ms ({min(ms):.0f}-{max(ms):.0f})")
        cells.append(f"RSS {statistics.median(r['rss'] for r in runs):6.1f} MiB")
        cells.append(f"heap {statistics.median(r['heap'] for r in runs):5.1f} MiB")
        print(f"{variant:5s} {start}: " + "   ".join(cells))


if __name__ == "__main__":
    main()
