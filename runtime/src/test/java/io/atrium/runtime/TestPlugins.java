package io.atrium.runtime;

import aQute.bnd.osgi.Builder;
import aQute.bnd.osgi.Constants;
import aQute.bnd.osgi.Jar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.osgi.framework.Bundle;

/** Real plugin bundles made in a test: Java sources compiled with javac, manifests computed by bndlib. */
final class TestPlugins {
    private TestPlugins() {
    }

    /** The distribution that {@code mvn package} assembled. */
    /** A server builder for tests: HTTP on any free loopback port, so servers never fight over one. */
    static Atrium.Builder builder() {
        return Atrium.builder().http("127.0.0.1", 0);
    }

    static Path dist() {
        return Path.of(System.getProperty("atrium.dist", "target/atrium"));
    }

    static Path apiJar() {
        return Path.of(System.getProperty("atrium.api.jar"));
    }

    /** Copies the distribution's sample plugins into a fresh plugin folder. */
    /** The distribution's two sample bundles, copied into {@code dir}. */
    static Path samplePlugins(Path dir) throws IOException {
        return copyPlugins(dir, true);
    }

    /** Everything in the distribution's plugins/: the sample bundles and the Python process plugin. */
    static Path distributionPlugins(Path dir) throws IOException {
        return copyPlugins(dir, false);
    }

    private static Path copyPlugins(Path dir, boolean jarsOnly) throws IOException {
        Files.createDirectories(dir);
        try (var files = Files.list(dist().resolve("plugins"))) {
            for (Path file : files.toList()) {
                if (!jarsOnly || file.getFileName().toString().endsWith(".jar")) {
                    Files.copy(file, dir.resolve(file.getFileName()), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        return dir;
    }

    /** The API bundle with its greeting package re-versioned, as a future API 2.0 would be. */
    static Path api(Path work, String greetingVersion) throws Exception {
        Path out = work.resolve("api-" + greetingVersion + ".jar");
        try (Builder b = new Builder()) {
            b.setProperty(Constants.BUNDLE_SYMBOLICNAME, "test.api." + greetingVersion);
            b.setProperty(Constants.EXPORT_PACKAGE, "io.atrium.api.greeting;version=" + greetingVersion + ",io.atrium.api;version=1.0.0");
            b.addClasspath(apiJar().toFile());
            build(b, out);
        }
        return out;
    }

    /**
     * A Greeter plugin compiled against the given API jar: its activator registers a Greeter
     * named {@code name}, and bnd derives its import range from the API version it was built against.
     */
    static Path greeterPlugin(Path work, String bsn, String name, Path apiJar) throws Exception {
        String pkg = bsn.replace('-', '_');
        Path src = work.resolve("src-" + bsn).resolve(pkg.replace('.', '/'));
        Files.createDirectories(src);
        Files.writeString(src.resolve("Activator.java"), """
                package %s;
                import io.atrium.api.greeting.Greeter;
                import org.osgi.framework.*;
                import java.util.Map;
                public class Activator implements BundleActivator {
                    public void start(BundleContext ctx) {
                        Greeter g = n -> "Hi from %s, " + n;
                        ctx.registerService(Greeter.class, g, new java.util.Hashtable<>(Map.of("atrium.plugin.name", "%s")));
                    }
                    public void stop(BundleContext ctx) { }
                }
                """.formatted(pkg, name, name));
        Path classes = work.resolve("classes-" + bsn);
        Files.createDirectories(classes);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        String cp = apiJar + java.io.File.pathSeparator + frameworkJar();
        int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp", cp, "--release", "17",
                src.resolve("Activator.java").toString());
        if (rc != 0) {
            throw new IllegalStateException("javac failed for " + bsn);
        }
        Path out = work.resolve(bsn + ".jar");
        try (Builder b = new Builder()) {
            b.setProperty(Constants.BUNDLE_SYMBOLICNAME, bsn);
            b.setProperty(Constants.BUNDLE_VERSION, "1.0.0");
            b.setProperty(Constants.PRIVATEPACKAGE, pkg);
            b.setProperty(Constants.BUNDLE_ACTIVATOR, pkg + ".Activator");
            b.addClasspath(classes.toFile());
            b.addClasspath(apiJar.toFile());
            b.addClasspath(frameworkJar().toFile());
            build(b, out);
        }
        return out;
    }

    /**
     * A plugin bundle from Java sources (class name to source), compiled against the server's API,
     * the OSGi core API and the DS annotations; bnd writes its manifest and DS component descriptions.
     *
     * @param headers extra manifest headers, e.g. Bundle-Activator
     */
    static Path bundle(Path work, String bsn, String version, Map<String, String> sources, Map<String, String> headers) throws Exception {
        Path src = work.resolve("src-" + bsn + "-" + version);
        Path classes = work.resolve("classes-" + bsn + "-" + version);
        Files.createDirectories(classes);
        List<String> args = new java.util.ArrayList<>(List.of("-d", classes.toString(), "--release", "17", "-cp",
                String.join(java.io.File.pathSeparator, apiJar().toString(), frameworkJar().toString(), dsAnnotationsJar().toString())));
        Set<String> packages = new java.util.TreeSet<>();
        for (var e : sources.entrySet()) {
            String fqcn = e.getKey();
            Path file = src.resolve(fqcn.replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, e.getValue());
            args.add(file.toString());
            packages.add(fqcn.substring(0, fqcn.lastIndexOf('.')));
        }
        if (ToolProvider.getSystemJavaCompiler().run(null, null, null, args.toArray(String[]::new)) != 0) {
            throw new IllegalStateException("javac failed for " + bsn);
        }
        Path out = work.resolve(bsn + "-" + version + ".jar");
        try (Builder b = new Builder()) {
            b.setProperty(Constants.BUNDLE_SYMBOLICNAME, bsn);
            b.setProperty(Constants.BUNDLE_VERSION, version);
            b.setProperty(Constants.PRIVATEPACKAGE, String.join(",", packages));
            headers.forEach(b::setProperty);
            b.addClasspath(classes.toFile());
            b.addClasspath(apiJar().toFile());
            b.addClasspath(frameworkJar().toFile());
            build(b, out);
        }
        return out;
    }

    /** A DS Greeter named {@code name} answering {@code greeting + ", " + who}, in bundle {@code bsn}. */
    static Path dsGreeter(Path work, String bsn, String version, String name, String greeting) throws Exception {
        String pkg = bsn.replace('-', '_');
        return bundle(work, bsn, version, Map.of(pkg + ".G", """
                package %s;
                import io.atrium.api.greeting.Greeter;
                import org.osgi.service.component.annotations.Component;
                @Component(property = "atrium.plugin.name=%s")
                public class G implements Greeter {
                    public String greet(String who) { return "%s, " + who; }
                }
                """.formatted(pkg, name, greeting)), Map.of());
    }

    static Path dsAnnotationsJar() throws Exception {
        return Path.of(org.osgi.service.component.annotations.Component.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    static Path frameworkJar() throws Exception {
        return Path.of(Bundle.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static void build(Builder b, Path out) throws Exception {
        Jar jar = b.build();
        if (!b.isOk()) {
            throw new IllegalStateException("bnd: " + b.getErrors());
        }
        jar.write(out.toFile());
    }

    static String manifestHeader(Path jar, String header) throws IOException {
        try (var j = new java.util.jar.JarFile(jar.toFile())) {
            return j.getManifest().getMainAttributes().getValue(header);
        }
    }

    static List<String> lines(String text) {
        return text.lines().toList();
    }
}
