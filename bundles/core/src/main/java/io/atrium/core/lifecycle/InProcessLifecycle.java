package io.atrium.core.lifecycle;

import io.atrium.api.PluginEvent;
import io.atrium.api.PluginListener;
import io.atrium.api.PluginRegistry;
import io.atrium.api.PluginProperties;
import io.atrium.spi.LifecycleEvent;
import io.atrium.spi.PluginLifecycle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The lifecycle of in-process plugins, read from the registry: a plugin's service registered for
 * the first time is an install, with another version an update, else a start; unregistered, a stop;
 * its bundle uninstalled, an uninstall. (Transports record their plugins' events themselves.)
 */
@Component(immediate = true)
public final class InProcessLifecycle implements PluginListener, BundleListener {
    private final BundleContext context;
    private final PluginLifecycle lifecycle;
    private final AutoCloseable listening;
    /** Every in-process plugin seen: its version when last registered, and its bundle. */
    private final Map<String, String> versions = new ConcurrentHashMap<>();
    private final Map<String, Long> bundles = new ConcurrentHashMap<>();

    @Activate
    public InProcessLifecycle(BundleContext context, @Reference PluginRegistry registry, @Reference PluginLifecycle lifecycle) {
        this.context = context;
        this.lifecycle = lifecycle;
        context.addBundleListener(this);
        this.listening = registry.addListener(this);
    }

    @Deactivate
    void deactivate() throws Exception {
        listening.close();
        context.removeBundleListener(this);
    }

    @Override
    public void pluginChanged(PluginEvent event) {
        var p = event.plugin();
        if (!p.transportId().equals(PluginProperties.IN_PROCESS)) {
            return;
        }
        switch (event.type()) {
            case REGISTERED -> {
                String before = versions.put(p.name(), p.version());
                bundles.put(p.name(), p.bundleId());
                lifecycle.record(p.name(), before == null ? LifecycleEvent.INSTALL
                        : before.equals(p.version()) ? LifecycleEvent.START : LifecycleEvent.UPDATE);
            }
            case UNREGISTERED -> lifecycle.record(p.name(), LifecycleEvent.STOP);
            default -> { }
        }
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        if (event.getType() == BundleEvent.UNINSTALLED) {
            long id = event.getBundle().getBundleId();
            bundles.forEach((name, bundle) -> {
                if (bundle == id && bundles.remove(name, bundle)) {
                    versions.remove(name);
                    lifecycle.record(name, LifecycleEvent.UNINSTALL);
                }
            });
        }
    }
}
