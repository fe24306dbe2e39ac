package io.atrium.core.control;

import io.atrium.api.PluginControl;
import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginException;
import io.atrium.api.PluginRegistry;
import io.atrium.api.PluginState;
import io.atrium.api.PluginProperties;
import io.atrium.spi.LifecycleEvent;
import io.atrium.spi.PluginLifecycle;
import io.atrium.core.deploy.DeployState;
import io.atrium.core.deploy.Deployer;
import io.atrium.core.deploy.Deployment;
import io.atrium.core.registry.PluginCatalog;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@link PluginControl} for every transport: a plugin listed by a provider (a transport's, or
 * {@link StoppedPlugins} for stopped bundles) is that provider's to steer; a running in-process
 * plugin's bundle is reloaded by the deployer and stopped transiently.
 */
@Component(service = PluginControl.class)
public final class PluginControlImpl implements PluginControl {
    private final PluginRegistry registry;
    private final PluginCatalog catalog;
    private final Deployer deployer;
    private final StoppedPlugins stoppedPlugins;
    /**
     * One reload, stop or start at a time per plugin, whoever asks (shell, HTTP, embedder): a second
     * waits for the first and then acts on its outcome, rather than finding the plugin half-swapped.
     */
    private final java.util.Map<String, Object> locks = new java.util.concurrent.ConcurrentHashMap<>();

    private final PluginLifecycle lifecycle;

    @Activate
    public PluginControlImpl(@Reference PluginRegistry registry, @Reference PluginCatalog catalog, @Reference Deployer deployer,
                             @Reference StoppedPlugins stoppedPlugins, @Reference PluginLifecycle lifecycle) {
        this.lifecycle = lifecycle;
        this.registry = registry;
        this.catalog = catalog;
        this.deployer = deployer;
        this.stoppedPlugins = stoppedPlugins;
    }

    @Override
    public PluginState reload(String name) {
        synchronized (lock(name)) {
            return reloadNow(name);
        }
    }

    @Override
    public PluginState stop(String name) {
        synchronized (lock(name)) {
            return stopNow(name);
        }
    }

    @Override
    public PluginState start(String name) {
        synchronized (lock(name)) {
            return startNow(name);
        }
    }

    private Object lock(String name) {
        return locks.computeIfAbsent(name, n -> new Object());
    }

    private PluginState reloadNow(String name) {
        PluginDescriptor p = find(name);
        lifecycle.record(name, LifecycleEvent.RELOAD);
        var provider = catalog.providerOf(name);
        if (provider.isPresent()) {
            provider.get().reload(name);
        } else {
            Deployment d = deployer.reload(p.bundleId());
            if (d.state() == DeployState.FAILED) {
                throw new PluginException(name, "reload failed: " + d.detail(), null);
            }
        }
        return state(name);
    }

    private PluginState stopNow(String name) {
        PluginDescriptor p = find(name);
        var provider = catalog.providerOf(name);
        if (provider.isPresent()) {
            if (provider.get().stop(name) && !p.transportId().equals(PluginProperties.IN_PROCESS) && p.state() != PluginState.STOPPED) {
                lifecycle.record(name, LifecycleEvent.STOP); // an in-process plugin's stop is seen by InProcessLifecycle
            }
        } else {
            stoppedPlugins.stop(p);
        }
        return state(name);
    }

    private PluginState startNow(String name) {
        PluginDescriptor p = find(name);
        catalog.providerOf(name).ifPresent(provider -> { // a running bundle plugin: nothing to do
            if (provider.start(name) && !p.transportId().equals(PluginProperties.IN_PROCESS) && p.state() == PluginState.STOPPED) {
                lifecycle.record(name, LifecycleEvent.START);
            }
        });
        return state(name);
    }

    private PluginDescriptor find(String name) {
        return registry.plugin(name).orElseThrow(() -> new IllegalArgumentException("unknown plugin '" + name + "'"));
    }

    private PluginState state(String name) {
        return registry.plugin(name).map(PluginDescriptor::state).orElse(PluginState.STOPPED);
    }
}
