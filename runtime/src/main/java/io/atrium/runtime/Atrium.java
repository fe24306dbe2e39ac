package io.atrium.runtime;

import io.atrium.api.PluginRegistry;
import io.atrium.runtime.control.ControlServer;
import io.atrium.runtime.internal.BaseBundles;
import io.atrium.runtime.internal.CommandRunner;
import io.atrium.runtime.internal.PluginGate;
import io.atrium.runtime.internal.SystemPackages;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.util.tracker.ServiceTracker;

/**
 * An Atrium server: Apache Felix with Atrium's base set, a plugin folder and a data folder.
 * The launcher ({@code bin/atrium}) is one user of this class; a product embedding Atrium is another:
 *
 * <pre>{@code
 * try (Atrium atrium = Atrium.builder().dataDir(data).pluginDir(plugins).start()) {
 *     Greeter english = atrium.service(Greeter.class, "english").orElseThrow();
 *     System.out.println(english.greet("World"));
 * }
 * }</pre>
 *
 * Atrium's API packages are exported by the framework from the host's class path, so the host
 * and the plugins share the same {@code Greeter} class.
 */
public final class Atrium implements AutoCloseable {
    /** Framework property naming the plugin folder; read by the core's deployer (FolderDeployer.DIR_PROPERTY). */
    public static final String PLUGINS_DIR = "atrium.plugins.dir";
    /**
     * Start level of plugins, and the framework's beginning level: above the base set, so a plugin never
     * starts before the core. The core's deployer gives its plugins the same level (FolderDeployer).
     */
    public static final int PLUGIN_START_LEVEL = 10;
    /** Framework property: start no plugin bundle (io.atrium.core.deploy.PluginStarts.SAFE_PROPERTY, the same name). */
    public static final String SAFE_MODE = "atrium.safe";
    /** Framework property: a plugin bundle's start deadline in ms (io.atrium.core.deploy.PluginStarts.TIMEOUT_PROPERTY). */
    public static final String START_TIMEOUT = "atrium.start.timeoutMs";

    private final Path dataDir;
    /** host:port the HTTP server was told to listen on (port 0: any), or null for none */
    private final String httpAddress;
    private final Framework framework;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private ControlServer control;

    private Atrium(Path dataDir, Framework framework, FileChannel lockChannel, FileLock lock, String httpAddress) {
        this.dataDir = dataDir;
        this.httpAddress = httpAddress;
        this.framework = framework;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /** @return a builder with the defaults: data in ./atrium-data, no plugin folder, no control channel */
    /** The HTTP server's port unless {@link Builder#http} says otherwise (Karaf's, so operators know it). */
    public static final int DEFAULT_HTTP_PORT = 8181;

    public static Builder builder() {
        return new Builder();
    }

    /** @return the registry of every plugin in this server */
    public PluginRegistry registry() {
        return service(PluginRegistry.class, null).orElseThrow(() -> new AtriumException("the plugin registry is not running"));
    }

    /**
     * A plugin's service, as a consumer inside the server would get it.
     *
     * @param contract the contract interface
     * @param name     the plugin's name, or null for any plugin of the contract
     * @return the service, if such a plugin is registered
     */
    public <T> Optional<T> service(Class<T> contract, String name) {
        BundleContext ctx = bundleContext();
        String filter = filter(contract, name);
        try {
            // All references, checked with isInstance: the framework's assignability check would hide a
            // service that is also registered under a class private to its bundle (the registry is).
            ServiceReference<?>[] refs = ctx.getAllServiceReferences(null, filter);
            if (refs != null) {
                java.util.Arrays.sort(refs, java.util.Collections.reverseOrder());
                for (ServiceReference<?> ref : refs) {
                    Object service = ctx.getService(ref);
                    if (contract.isInstance(service)) {
                        return Optional.of(contract.cast(service));
                    }
                    if (service != null) {
                        ctx.ungetService(ref);
                    }
                }
            }
            return Optional.empty();
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("bad plugin name '" + name + "'", e);
        }
    }

    /**
     * Plugins are looked up through their facades (the stable services the core registers in front of
     * each plugin): the framework applies no service hooks to the system bundle, so the plugin's own
     * service would otherwise be visible here too.
     */
    private static String filter(Class<?> contract, String name) {
        String type = "(" + Constants.OBJECTCLASS + "=" + contract.getName() + ")";
        String facade = contract == PluginRegistry.class ? "" : "(" + io.atrium.api.PluginProperties.FACADE + "=true)";
        return name == null ? "(&" + type + facade + ")"
                : "(&" + type + facade + "(" + io.atrium.api.PluginProperties.NAME + "=" + escape(name) + "))";
    }

    /**
     * Waits until a plugin of the given name is registered.
     *
     * @return the service
     * @throws AtriumException when it does not appear in time
     */
    public <T> T awaitService(Class<T> contract, String name, Duration timeout) {
        try {
            ServiceTracker<T, T> tracker = new ServiceTracker<>(bundleContext(), bundleContext().createFilter(filter(contract, name)), null);
            tracker.open(true);
            try {
                T service = contract.cast(tracker.waitForService(timeout.toMillis()));
                if (service == null) {
                    throw new AtriumException("plugin '" + name + "' (" + contract.getSimpleName() + ") did not appear within " + timeout.toMillis() + " ms");
                }
                return service;
            } finally {
                tracker.close();
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("bad plugin name '" + name + "'", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AtriumException("interrupted while waiting for plugin '" + name + "'");
        }
    }

    /**
     * Waits until no plugin is starting and the HTTP server has started: out-of-process plugins launch
     * in the background after {@link Builder#start()} returns, and their handshake takes a few
     * milliseconds to seconds; the HTTP server and the web API start just after the server is ready.
     *
     * @return true when none is starting any more (each is active or failed), false on timeout
     */
    public boolean awaitStarted(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            late.get(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            // logged where it happened
        }
        // a barrier: the deployer answers after the work queued before, such as the manifests a transport
        // found when it came up, so their plugins are listed (as starting) by the time the loop below looks
        execute("plugin:deploys");
        while (registry().plugins().stream().anyMatch(p -> p.state() == io.atrium.api.PluginState.STARTING)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /**
     * Runs a shell command, as typed at the console. The first commands of a fresh server wait (a
     * few hundred milliseconds at most) for the late part of the base set, so that what they report
     * (plugin:problems, plugin:stats) is never a server half-way through its start.
     *
     * @param commandLine e.g. {@code plugin:call english greet World}
     * @return what it printed and whether it succeeded
     */
    public CommandResult execute(String commandLine) {
        try {
            late.get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // run it anyway: the late part failed or hangs, and the command may be how one finds out
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new CommandRunner(bundleContext()).execute(commandLine);
    }

    /**
     * @return the HTTP server's base address (e.g. {@code http://127.0.0.1:8181/}) once it listens;
     *         empty while it starts, and when HTTP is off
     */
    public Optional<java.net.URI> httpEndpoint() {
        try {
            ServiceReference<?>[] refs = framework.getBundleContext()
                    .getAllServiceReferences("org.osgi.service.servlet.runtime.HttpServiceRuntime", null); // "All": the system bundle does not import its package
            if (refs == null) {
                return Optional.empty();
            }
            Object endpoint = refs[0].getProperty("osgi.http.endpoint");
            Object first = endpoint instanceof String[] all ? (all.length == 0 ? null : all[0])
                    : endpoint instanceof java.util.Collection<?> c ? (c.isEmpty() ? null : c.iterator().next()) : endpoint;
            return first == null ? Optional.empty() : Optional.of(java.net.URI.create(first.toString()));
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e); // null filter
        }
    }

    /** @return the framework's system bundle context, for products that need the OSGi API itself */
    public BundleContext bundleContext() {
        BundleContext ctx = framework.getBundleContext();
        if (ctx == null) {
            throw new AtriumException("Atrium is stopped");
        }
        return ctx;
    }

    /** @return the data folder */
    public Path dataDir() {
        return dataDir;
    }

    /** Starts the interactive console on this process's terminal; the server stops when it ends. */
    public void startConsole() {
        List<Bundle> console = BaseBundles.install(bundleContext(), dataDir.resolve("base-bundles.properties"), BaseBundles.Part.CONSOLE);
        framework.adapt(FrameworkWiring.class).resolveBundles(console);
        for (Bundle b : console) {
            try {
                b.start(Bundle.START_TRANSIENT);
            } catch (BundleException e) {
                throw new AtriumException("the console failed to start: " + e.getMessage(), e);
            }
        }
    }

    /** Blocks until the framework has stopped, for whatever reason. */
    public void awaitStop() throws InterruptedException {
        framework.waitForStop(0);
    }

    /** Stops the framework, waits for it, and releases the data folder. Idempotent. */
    public synchronized void stop() {
        if (control != null) {
            control.close();
            control = null;
        }
        try {
            framework.stop();
            FrameworkEvent event = framework.waitForStop(Duration.ofSeconds(30).toMillis());
            if (event.getType() == FrameworkEvent.WAIT_TIMEDOUT) {
                throw new AtriumException("the framework did not stop within 30 s");
            }
        } catch (BundleException e) {
            throw new AtriumException("the framework failed to stop: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            release();
        }
    }

    private void release() {
        try {
            if (lock.isValid()) {
                lock.release();
            }
            lockChannel.close();
        } catch (IOException ignored) {
            // closing a lock file: nothing left to do
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** One line saying why the HTTP server cannot listen where it was told to. */
    static String httpUnavailable(String host, int port, Exception e) {
        String why = e == null ? "it did not start (see the log above)" : String.valueOf(e.getMessage());
        if (e instanceof java.net.BindException && why.contains("in use")) {
            why += "; another process listens there";
        }
        return "cannot serve HTTP on " + host + ":" + port + ": " + why + " (choose another address with --http HOST:PORT, or --http off)";
    }

    /**
     * Waits for the HTTP server, when one was asked for, to listen.
     *
     * @throws AtriumException in one line naming the address, when it does not listen (another process
     *                         took the port meanwhile, the address is not this machine's)
     */
    public void awaitHttp(Duration timeout) {
        if (httpAddress == null) {
            return;
        }
        try {
            late.get(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // judged below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (httpEndpoint().isEmpty()) {
            int colon = httpAddress.lastIndexOf(':');
            Throwable why = bindFailure;
            throw new AtriumException(httpUnavailable(httpAddress.substring(0, colon), Integer.parseInt(httpAddress.substring(colon + 1)),
                    why instanceof Exception e ? e : null));
        }
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("*", "\\*").replace("(", "\\(").replace(")", "\\)");
    }

    /** Configures and starts an {@link Atrium}. */
    public static final class Builder {
        private Path dataDir = Path.of("atrium-data");
        private boolean createDataDir = true;
        private Path pluginDir;
        private final List<Path> bundles = new ArrayList<>();
        private final Map<String, String> properties = new LinkedHashMap<>();
        private boolean controlChannel;
        private boolean awaitPlugins = true;
        private String httpHost = "127.0.0.1";
        private int httpPort = DEFAULT_HTTP_PORT;

        private Builder() {
        }

        /**
         * Where the HTTP server (metrics, JSON API, web console) listens: loopback port
         * {@value Atrium#DEFAULT_HTTP_PORT} unless told otherwise.
         *
         * @param host the address to bind, e.g. {@code 127.0.0.1}; {@code 0.0.0.0} exposes it to the network
         * @param port the port; 0 for any free one ({@link Atrium#httpEndpoint()} tells which), -1 for no HTTP server
         */
        public Builder http(String host, int port) {
            if (port < -1 || port > 65535) {
                throw new AtriumException("HTTP port " + port + " is not a port (0-65535, or -1 for none)");
            }
            this.httpHost = host;
            this.httpPort = port;
            return this;
        }

        /**
         * @param dir where the framework cache and Atrium's state live; a restart on the same folder
         *            keeps what was installed
         * @param create whether a missing folder is created (else it is an error)
         */
        public Builder dataDir(Path dir, boolean create) {
            this.dataDir = dir;
            this.createDataDir = create;
            return this;
        }

        /** Same as {@code dataDir(dir, true)}. */
        public Builder dataDir(Path dir) {
            return dataDir(dir, true);
        }

        /** @param dir the folder whose plugin jars are installed and started */
        public Builder pluginDir(Path dir) {
            this.pluginDir = dir;
            return this;
        }

        /** @param jar an extra bundle to install and start with the base set (e.g. a product's own) */
        public Builder bundle(Path jar) {
            this.bundles.add(jar);
            return this;
        }

        /** @param key a framework property, e.g. {@code felix.log.level} */
        public Builder frameworkProperty(String key, String value) {
            this.properties.put(key, value);
            return this;
        }

        /**
         * @param on whether {@link #start()} waits for the plugin bundles' starts (default: yes, each for at
         *           most its start deadline); the launcher prints its ready line without waiting
         */
        public Builder awaitPlugins(boolean on) {
            this.awaitPlugins = on;
            return this;
        }

        /** @param on start no plugin bundle (they stay listed; {@code plugin:start NAME} starts one): to get into a server a plugin breaks */
        public Builder safeMode(boolean on) {
            return frameworkProperty(SAFE_MODE, Boolean.toString(on));
        }

        /** @param on whether clients ({@code bin/atrium client}) may run commands over a socket in the data folder */
        public Builder controlChannel(boolean on) {
            this.controlChannel = on;
            return this;
        }

        /**
         * Starts the server and returns once the base set and the plugins are started.
         *
         * @throws AtriumException with a one-line reason when a folder is unusable, the data folder is in use
         *                         by another server, or the framework fails to start
         */
        public Atrium start() {
            // JUL's console handler takes System.err when it is first made: make it now, before Gogo swaps
            // System.err for its per-thread stream, or log lines would land in a command's captured output.
            java.util.logging.Logger.getLogger("").getHandlers();
            Path data = checkDataDir();
            Path pluginsPath = pluginDir == null ? null : checkPluginDir(pluginDir);
            FileChannel channel;
            FileLock lock;
            try {
                channel = FileChannel.open(data.resolve("atrium.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw new AtriumException("cannot lock data folder " + data + ": " + e.getMessage(), e);
            }
            try {
                lock = channel.tryLock();
            } catch (IOException | OverlappingFileLockException e) {
                lock = null; // overlapping: another Atrium in this JVM holds it
            }
            if (lock == null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // already failing
                }
                throw new AtriumException("another Atrium server is running on data folder " + data
                        + "; use 'atrium client COMMAND' to talk to it");
            }
            try {
                checkHttpAddress();
                Atrium atrium = launch(data, pluginsPath, channel, lock);
                if (controlChannel) {
                    atrium.control = ControlServer.start(data, atrium::execute);
                }
                return atrium;
            } catch (RuntimeException e) {
                try {
                    lock.release();
                    channel.close();
                } catch (IOException ignored) {
                    // already failing
                }
                throw e;
            }
        }

        private Atrium launch(Path data, Path plugins, FileChannel channel, FileLock lock) {
            Map<String, String> props = new HashMap<>();
            props.put(Constants.FRAMEWORK_STORAGE, data.resolve("cache").toString());
            props.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, SystemPackages.extra());
            props.put(Constants.FRAMEWORK_BEGINNING_STARTLEVEL, Integer.toString(PLUGIN_START_LEVEL));
            // what is installed without a level (felix:install) starts with the plugins, after the core that judges it
            props.put("felix.startlevel.bundle", Integer.toString(PLUGIN_START_LEVEL));
            props.put("felix.log.level", "0"); // the core logs framework errors itself, one line each
            props.put("ds.loglevel", "0"); // and component failures: SCR's own log prints stack traces
            props.put("ds.cache.metadata", "true"); // SCR keeps the parsed component XML across restarts (per bundle id and modification)
            if (plugins != null) {
                props.put(PLUGINS_DIR, plugins.toString());
            }
            props.put("org.apache.felix.http.enable", Boolean.toString(httpPort >= 0));
            props.put("org.apache.felix.http.host", httpHost);
            props.put("org.osgi.service.http.port", Integer.toString(Math.max(httpPort, 0)));
            props.put("org.apache.felix.http.jetty.sendServerHeader", "false"); // no server name and version to fingerprint
            props.putAll(properties);
            FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class, Atrium.class.getClassLoader())
                    .findFirst().orElseThrow(() -> new AtriumException("no OSGi framework on the class path"));
            Framework framework = factory.newFramework(props);
            try {
                framework.init();
                BundleContext ctx = framework.getBundleContext();
                BaseBundles.install(ctx, data.resolve("base-bundles.properties"), BaseBundles.Part.SERVER);
                java.util.Set<String> late = BaseBundles.lateLocations();
                if (late.stream().anyMatch(location -> ctx.getBundle(location) == null)) {
                    // A first start installs the late part now (started after the ready line, as always), as every
                    // later start finds it in the cache: the plugin folder's deployer learns from its bundles
                    // which files their transports deploy, so that those wait for them rather than be misread.
                    BaseBundles.install(ctx, data.resolve("base-bundles.properties"), BaseBundles.Part.LATE);
                }
                for (Path jar : bundles) {
                    installExtra(ctx, jar);
                }
                PluginGate.close(ctx, PLUGIN_START_LEVEL, bundles.stream().map(jar -> jar.toUri().toString()).collect(java.util.stream.Collectors.toSet()));
                // One resolver pass for everything started now, instead of one per bundle as each starts.
                framework.adapt(FrameworkWiring.class).resolveBundles(java.util.Arrays.stream(ctx.getBundles())
                        .filter(b -> !late.contains(b.getLocation())).toList());
                framework.start();
                Atrium atrium = new Atrium(data, framework, channel, lock, httpPort < 0 ? null : httpHost + ":" + httpPort);
                atrium.awaitReady();
                atrium.startLate();
                if (awaitPlugins) {
                    atrium.awaitPluginStarts(startTimeout(props));
                }
                return atrium;
            } catch (BundleException e) {
                stopQuietly(framework);
                throw new AtriumException("the framework failed to start: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                stopQuietly(framework);
                throw e;
            }
        }

        private static void installExtra(BundleContext ctx, Path jar) throws BundleException {
            String location = jar.toUri().toString();
            Bundle b = ctx.getBundle(location);
            if (b == null) {
                b = ctx.installBundle(location);
            }
            b.adapt(BundleStartLevel.class).setStartLevel(5);
            b.start(Bundle.START_ACTIVATION_POLICY);
        }

        private static void stopQuietly(Framework framework) {
            try {
                framework.stop();
                framework.waitForStop(10_000);
            } catch (BundleException | InterruptedException ignored) {
                // the original failure is what matters
            }
        }

        private Path checkDataDir() {
            Path data = dataDir.toAbsolutePath().normalize();
            if (Files.exists(data) && !Files.isDirectory(data)) {
                throw new AtriumException("data folder " + data + " is not a folder");
            }
            if (!Files.exists(data)) {
                if (!createDataDir) {
                    throw new AtriumException("data folder " + data + " does not exist");
                }
                try {
                    Files.createDirectories(data);
                } catch (IOException e) {
                    throw new AtriumException("cannot create data folder " + data + ": " + e.getMessage(), e);
                }
            }
            if (!Files.isReadable(data) || !Files.isWritable(data)) {
                throw new AtriumException("data folder " + data + " is not readable and writable by this user");
            }
            ownerOnly(data);
            return data;
        }

        /**
         * The data folder holds secrets at rest (the API token, a trust store's password in Config Admin's
         * files, the control socket): no other user may reach into it, whatever the umask of whoever made
         * it or of this process (the framework and Config Admin write their files with the process's umask).
         */
        private static void ownerOnly(Path data) {
            java.util.Set<java.nio.file.attribute.PosixFilePermission> owner = java.nio.file.attribute.PosixFilePermissions.fromString("rwx------");
            try {
                // Who this process is, as the file system says it (a name may be missing in a container): the
                // owner of a file it makes. A folder of another user's could be opened again by that user, and
                // what is in it swapped (the bundle cache runs as this user).
                Path probe = Files.createTempFile(data, ".atrium-owner", "");
                Object me;
                try {
                    me = Files.getAttribute(probe, "unix:uid");
                } finally {
                    Files.deleteIfExists(probe);
                }
                if (!me.equals(Files.getAttribute(data, "unix:uid"))) {
                    throw new AtriumException("data folder " + data + " belongs to " + Files.getOwner(data).getName()
                            + ", not to the user who runs the server (" + System.getProperty("user.name") + "); use a folder of its own");
                }
                java.util.Set<java.nio.file.attribute.PosixFilePermission> now = Files.getPosixFilePermissions(data);
                if (!now.equals(owner)) {
                    Files.setPosixFilePermissions(data, owner);
                    java.util.logging.Logger.getLogger("io.atrium.runtime").info("data folder " + data + " was "
                            + java.nio.file.attribute.PosixFilePermissions.toString(now) + "; made owner-only (rwx------): it holds secrets");
                }
            } catch (UnsupportedOperationException | IllegalArgumentException e) {
                // not a POSIX file system (no unix:uid): its own access control applies
            } catch (IOException e) {
                throw new AtriumException("cannot make data folder " + data + " owner-only (it holds secrets): " + e.getMessage(), e);
            }
        }

        private static boolean loopback(String host) {
            try {
                return java.net.InetAddress.getByName(host).isLoopbackAddress();
            } catch (java.net.UnknownHostException e) {
                return false; // the bind check names it
            }
        }

        /**
         * A fixed HTTP port that another process holds is fatal before anything starts: a local user who
         * squats the port would otherwise collect the token an operator types into "the" console.
         */
        private void checkHttpAddress() {
            if (httpPort >= 0 && !loopback(httpHost)) {
                java.util.logging.Logger.getLogger("io.atrium.runtime").warning("HTTP is served on " + httpHost + ":" + httpPort
                        + ", which other machines may reach: whoever reaches it reads /api and /metrics (POSTs need the token)");
            }
            if (httpPort <= 0) {
                return; // none, or any free port
            }
            try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
                probe.setReuseAddress(true); // as Jetty binds: a connection of a previous run in TIME_WAIT is no obstacle
                probe.bind(new java.net.InetSocketAddress(httpHost, httpPort));
            } catch (IOException | IllegalArgumentException | SecurityException e) {
                throw new AtriumException(httpUnavailable(httpHost, httpPort, e));
            }
            if (loopback(httpHost)) {
                // A browser may try "localhost" on the other loopback address first: a process listening
                // there on the same port gets the operator's requests, and the token typed into its page.
                String other = httpHost.contains(":") ? "127.0.0.1" : "::1";
                try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
                    probe.setReuseAddress(true);
                    probe.bind(new java.net.InetSocketAddress(other, httpPort));
                } catch (java.net.BindException e) {
                    if (String.valueOf(e.getMessage()).contains("in use")) {
                        throw new AtriumException("cannot serve HTTP on " + httpHost + ":" + httpPort + ": another process listens on "
                                + (other.contains(":") ? "[" + other + "]" : other) + ":" + httpPort + ", where a browser may go for localhost"
                                + " (choose another port with --http HOST:PORT, or --http off)");
                    }
                    // that address is not configured here (no IPv6): nobody can listen there either
                } catch (IOException | IllegalArgumentException | SecurityException e) {
                    // as above
                }
            }
        }

        private static Path checkPluginDir(Path dir) {
            Path p = dir.toAbsolutePath().normalize();
            if (!Files.isDirectory(p)) {
                throw new AtriumException("plugin folder " + p + " does not exist or is not a folder");
            }
            return p;
        }
    }

    /** Ready means the base set and the plugins are started and the shell commands are registered. */
    /** Done when the late part of the base set (the HTTP server, the web API) has started. */
    private final java.util.concurrent.CompletableFuture<Void> late = new java.util.concurrent.CompletableFuture<>();
    /** Why the HTTP server could not bind, when it could not. */
    private volatile Throwable bindFailure;

    /** Starts the HTTP server and the web API beside the ready server: nothing the plugins need waits for them. */
    private void startLate() {
        Thread t = new Thread(() -> {
            // A port taken by the time Jetty binds it made Felix's HTTP bundle log three stack traces (the
            // bind, "no connectors", an NPE of its own): kept back here, the reason goes into awaitHttp's one line.
            java.util.logging.Logger http = java.util.logging.Logger.getLogger("org.apache.felix.http");
            java.util.logging.Filter before = http.getFilter();
            http.setFilter(record -> {
                for (Throwable c = record.getThrown(); c != null; c = c.getCause()) {
                    if (c instanceof java.net.BindException) {
                        bindFailure = c;
                        return false;
                    }
                }
                return bindFailure == null && (before == null || before.isLoggable(record));
            });
            try {
                for (String failure : BaseBundles.startLate(bundleContext(), dataDir.resolve("base-bundles.properties"))) {
                    java.util.logging.Logger.getLogger("io.atrium.runtime").warning("base bundle " + failure);
                }
            } catch (RuntimeException e) {
                if (framework.getState() == Bundle.ACTIVE) { // else the server is stopping already
                    java.util.logging.Logger.getLogger("io.atrium.runtime").warning("the HTTP server did not start: " + e);
                }
            } finally {
                http.setFilter(before);
                late.complete(null);
            }
        }, "atrium-late-start");
        t.setDaemon(true);
        t.start();
    }

    private static Duration startTimeout(Map<String, String> props) {
        try {
            return Duration.ofMillis(Long.parseLong(props.getOrDefault(START_TIMEOUT, "10000").trim()));
        } catch (NumberFormatException e) {
            return Duration.ofSeconds(10); // the core says so in the log
        }
    }

    /**
     * Waits while plugin bundles are being started (the core starts them off the framework's start-level
     * thread, each with a deadline), at most the deadline and a little: a stuck plugin delays no more.
     */
    private void awaitPluginStarts(Duration timeout) {
        long deadline = System.nanoTime() + timeout.plusSeconds(1).toNanos();
        PluginRegistry registry = registry();
        while (registry.plugins().stream().anyMatch(p -> p.state() == io.atrium.api.PluginState.STARTING
                && p.transportId().equals(io.atrium.api.PluginProperties.IN_PROCESS)) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10); // each look lists every plugin: with a full folder, too dear to ask every millisecond
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void awaitReady() {
        BundleContext ctx = bundleContext();
        try {
            ServiceTracker<Object, Object> commands = new ServiceTracker<>(ctx, ctx.createFilter("(osgi.command.scope=plugin)"), null);
            commands.open(true);
            try {
                if (commands.waitForService(Duration.ofSeconds(30).toMillis()) == null) {
                    throw new AtriumException("the core did not start within 30 s; see the log above");
                }
            } finally {
                commands.close();
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
