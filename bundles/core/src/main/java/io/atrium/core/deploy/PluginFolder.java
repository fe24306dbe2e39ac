package io.atrium.core.deploy;

import io.atrium.core.diagnostics.ProblemReport;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Reconciles the plugin folder with the framework when the server starts: jars added while it
 * was down are installed, jars removed are uninstalled, changed jars are updated, each once.
 * All new plugins are resolved in one pass before any is started.
 */
@Component(immediate = true)
public final class PluginFolder {
    /** Framework property naming the folder. */
    public static final String DIR_PROPERTY = "atrium.plugins.dir";
    /** Location prefix of the bundles this folder owns, followed by the file name. */
    public static final String LOCATION_PREFIX = "atrium:plugin/";
    static final int PLUGIN_START_LEVEL = 10;
    private static final Logger LOG = Logger.getLogger("io.atrium.core.deploy");

    private final BundleContext context;
    private final ProblemReport problems;

    @Activate
    public PluginFolder(BundleContext context, @Reference ProblemReport problems) {
        this.context = context;
        this.problems = problems;
        String dir = context.getProperty(DIR_PROPERTY);
        if (dir != null) {
            reconcile(Path.of(dir));
        }
    }

    private void reconcile(Path dir) {
        Map<String, Path> files = new HashMap<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.jar")) {
            for (Path file : stream) {
                String name = file.getFileName().toString();
                if (!name.startsWith(".") && Files.isRegularFile(file)) {
                    files.put(LOCATION_PREFIX + name, file);
                }
            }
        } catch (IOException e) {
            LOG.severe("plugin folder " + dir + " cannot be read: " + e.getMessage());
            return;
        }
        for (Bundle b : context.getBundles()) {
            if (b.getLocation().startsWith(LOCATION_PREFIX) && !files.containsKey(b.getLocation())) {
                try {
                    LOG.info("uninstalling " + b.getSymbolicName() + ": its file is gone from " + dir);
                    b.uninstall();
                } catch (BundleException e) {
                    LOG.warning("cannot uninstall " + b.getSymbolicName() + ": " + e.getMessage());
                }
            }
        }
        List<Bundle> changed = new ArrayList<>();
        files.forEach((location, file) -> {
            try {
                Bundle b = context.getBundle(location);
                if (b == null) {
                    try (InputStream in = Files.newInputStream(file)) {
                        b = context.installBundle(location, in);
                    }
                    b.adapt(BundleStartLevel.class).setStartLevel(PLUGIN_START_LEVEL);
                    changed.add(b);
                } else if (Files.getLastModifiedTime(file).toMillis() > b.getLastModified()) {
                    try (InputStream in = Files.newInputStream(file)) {
                        b.update(in);
                    }
                    changed.add(b);
                }
            } catch (IOException | BundleException e) {
                LOG.warning("plugin file " + file.getFileName() + " was not installed: " + e.getMessage());
            }
        });
        context.getBundle(0).adapt(FrameworkWiring.class).resolveBundles(changed);
        for (Bundle b : changed) {
            if (b.getState() == Bundle.INSTALLED) {
                // Not started, so the framework does not retry and log raw resolver output on every start.
                LOG.warning("plugin " + b.getSymbolicName() + " " + b.getVersion() + " was not started: "
                        + io.atrium.core.diagnostics.ResolutionDiagnosis.explain(context, b));
                continue;
            }
            try {
                b.start(Bundle.START_ACTIVATION_POLICY);
            } catch (BundleException e) {
                if (b.getState() != Bundle.INSTALLED) { // unresolved ones are explained from their requirements
                    problems.recordStartFailure(b, e);
                    LOG.warning("plugin " + b.getSymbolicName() + " failed to start: " + e.getMessage());
                }
            }
        }
    }
}
