package io.atrium.core.control;

import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginException;
import io.atrium.api.PluginProblem;
import io.atrium.api.PluginState;
import io.atrium.spi.PluginProvider;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * In-process plugins an operator stopped. A stopped bundle registers no service, so without this
 * provider such a plugin would vanish from the registry; here it stays listed, as stopped, and a
 * start or reload starts its bundle again. Stops are transient: the next server start undoes them.
 */
@Component(service = {PluginProvider.class, StoppedPlugins.class})
public final class StoppedPlugins implements PluginProvider {
    private final BundleContext context;
    /** By plugin name: what the plugin was when it ran. */
    private final Map<String, PluginDescriptor> stopped = new ConcurrentHashMap<>();

    @Activate
    public StoppedPlugins(BundleContext context) {
        this.context = context;
    }

    /** Stops the bundle of a running in-process plugin. */
    void stop(PluginDescriptor p) {
        Bundle bundle = context.getBundle(p.bundleId());
        if (bundle == null) {
            throw new IllegalArgumentException("unknown plugin '" + p.name() + "'");
        }
        stopped.put(p.name(), new PluginDescriptor(p.name(), p.version(), p.contract(), p.transportId(), p.capabilities(),
                PluginState.STOPPED, p.bundleId(), p.source()));
        try {
            bundle.stop(Bundle.STOP_TRANSIENT);
        } catch (BundleException | IllegalStateException e) {
            stopped.remove(p.name());
            throw new PluginException(p.name(), "cannot stop bundle " + bundle.getSymbolicName() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<PluginDescriptor> plugins() {
        stopped.values().removeIf(p -> {
            Bundle b = context.getBundle(p.bundleId());
            return b == null || b.getState() == Bundle.ACTIVE; // uninstalled, or started by other means
        });
        return List.copyOf(stopped.values());
    }

    @Override
    public List<PluginProblem> problems() {
        return List.of();
    }

    @Override
    public Map<String, String> details(String name) {
        return stopped.containsKey(name) ? Map.of("stopped", "by an operator, until plugin:start or the server's next start") : Map.of();
    }

    @Override
    public boolean reload(String name) {
        return start(name);
    }

    @Override
    public boolean stop(String name) {
        return stopped.containsKey(name);
    }

    @Override
    public boolean start(String name) {
        PluginDescriptor was = stopped.get(name);
        if (was == null) {
            return false;
        }
        Bundle bundle = context.getBundle(was.bundleId());
        try {
            if (bundle == null) {
                throw new PluginException(name, "its bundle was uninstalled while it was stopped", null);
            }
            bundle.start(Bundle.START_TRANSIENT);
        } catch (BundleException | IllegalStateException e) {
            throw new PluginException(name, "cannot start bundle " + bundle.getSymbolicName() + ": " + e.getMessage(), e);
        } finally {
            stopped.remove(name);
        }
        return true;
    }
}
