package io.atrium.transport.nativelib;

import io.atrium.spi.ArtifactHandler;
import io.atrium.spi.PluginLifecycle;
import io.atrium.spi.PluginProvider;
import io.atrium.spi.TransportTrust;
import io.atrium.transport.nativelib.abi.Jna;
import io.atrium.transport.nativelib.inprocess.InProcessPlugin;
import io.atrium.transport.nativelib.inprocess.Libraries;
import io.atrium.transport.nativelib.inprocess.LoadedLibrary;
import io.atrium.transport.nativelib.manifest.NativeManifest;
import io.atrium.transport.support.ManifestPolicy;
import io.atrium.transport.support.Sha256;
import io.atrium.transport.support.kit.ManifestTransport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Deploys {@code NAME.native.json} manifests (and the shared libraries they name) from the plugin folder as
 * native plugins, on the transport kit ({@link ManifestTransport}). A library exports Atrium's C ABI
 * (docs/native.md); it runs in the server's JVM when its manifest says {@code "isolation": "in-process"},
 * which the trust policy allows apart ({@code transports} must name {@code native-in-process}, or {@code *}).
 */
@Component(service = {ArtifactHandler.class, PluginProvider.class}, property = ArtifactHandler.SUFFIX + "=" + NativeManifest.SUFFIX,
        configurationPid = NativeTransport.CONFIG_PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class NativeTransport extends ManifestTransport<NativeManifest, InProcessPlugin> {
    /** The transport's configuration (none of its own yet). */
    public static final String CONFIG_PID = "io.atrium.native";
    /** The id the trust policy's {@code transports} names to allow libraries in the server's JVM. */
    public static final String IN_PROCESS_ID = "native-in-process";
    /** The largest library loaded. */
    private static final long MAX_LIBRARY_BYTES = 512L << 20;

    private final Libraries libraries;

    /** Where installs, updates and uninstalls are counted (the core's). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile PluginLifecycle lifecycle;

    @Activate
    public NativeTransport(BundleContext context, Map<String, Object> config,
                           @Reference(bind = "trustChanged", updated = "trustChanged") TransportTrust trust) {
        super(context, InProcessPlugin.TRANSPORT_ID, trust, List.of(CONFIG_PID));
        this.libraries = new Libraries(context.getDataFile("").toPath());
        configure(config);
    }

    @Deactivate
    void deactivate() {
        close();
        libraries.close();
    }

    /** The core's trust or capability policy changed: the plugins are judged again. */
    void trustChanged(TransportTrust changed) {
        trustChanged();
    }

    @Override
    protected PluginLifecycle lifecycle() {
        return lifecycle;
    }

    @Override
    protected NativeManifest parse(Path file, byte[] content) {
        return NativeManifest.parse(file, content);
    }

    @Override
    protected String unpinned() {
        return "does not pin its library";
    }

    /** A library in the server's JVM is trusted code: the trust policy allows it apart from isolated ones. */
    @Override
    protected void checkTrust(ManifestPolicy policy, NativeManifest m) {
        if (m.isolation() == NativeManifest.Isolation.IN_PROCESS) {
            policy.checkKindAllowed("runs its library in the server's JVM", IN_PROCESS_ID);
        }
    }

    @Override
    protected void check(ManifestPolicy policy, NativeManifest m) {
        if (m.isolation() == NativeManifest.Isolation.PROCESS) {
            throw new IllegalArgumentException("field 'isolation': process (the default) is not available yet in this server: "
                    + "a native library runs only with \"isolation\": \"in-process\" for now (docs/native.md)");
        }
        String lacking = policy.capabilityRefusal(m.contract(), m.capabilities());
        if (lacking != null) {
            throw new IllegalArgumentException("is refused: it " + lacking);
        }
        try {
            policy.checked(m.file().toAbsolutePath().getParent(), m.library());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("names the library " + m.library().getFileName() + ", which is missing");
        } catch (IOException e) {
            throw new IllegalArgumentException("names the library " + m.library().getFileName() + ", which cannot be read: " + e.getMessage());
        }
        Jna.require();
    }

    @Override
    protected InProcessPlugin create(NativeManifest m, Class<?> contract) {
        return new InProcessPlugin(this, m, contract, this::load, libraries);
    }

    /**
     * Reads the library once, where the deploy checked it (a link leading outside the plugin folder is refused
     * by the trust policy, as the folder lists it), checks its pin on those bytes and loads a private copy of them.
     */
    private LoadedLibrary load(NativeManifest m) {
        byte[] bytes;
        String name = m.library().getFileName().toString();
        try {
            Path checked = policy().checked(m.file().toAbsolutePath().getParent(), m.library());
            if (!Files.isRegularFile(checked, LinkOption.NOFOLLOW_LINKS)) {
                throw new IllegalArgumentException("names the library " + name + ", which is not a file");
            }
            if (Files.size(checked) > MAX_LIBRARY_BYTES) {
                throw new IllegalArgumentException("names the library " + name + ", of " + Files.size(checked) + " bytes: more than "
                        + (MAX_LIBRARY_BYTES >> 20) + " MiB");
            }
            try (var in = Files.newInputStream(checked, LinkOption.NOFOLLOW_LINKS)) {
                bytes = in.readAllBytes();
            } catch (OutOfMemoryError tooBig) {
                throw new IllegalArgumentException("names the library " + name + ", of " + Files.size(checked) + " bytes: more than the "
                        + "server's heap has room for to check it");
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("names the library " + name + ", which is missing");
        } catch (IOException e) {
            throw new IllegalArgumentException("names the library " + name + ", which cannot be read: " + e.getMessage());
        }
        String digest = Sha256.of(bytes);
        if (m.sha256() != null && !m.sha256().equals(digest)) {
            throw new IllegalArgumentException(Sha256.mismatch(name, digest, m.sha256()));
        }
        try {
            return libraries.load(m, bytes, digest);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + " " + e.getMessage(), e);
        }
    }
}
