package io.atrium.core.shell;

import io.atrium.api.PluginControl;
import io.atrium.api.PluginProperties;
import io.atrium.api.PluginRegistry;
import io.atrium.api.PluginState;
import io.atrium.core.deploy.DeployState;
import io.atrium.core.deploy.Deployer;
import io.atrium.core.deploy.Deployment;
import java.util.List;
import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The {@code plugin:} commands that change what is deployed, and {@code plugin:deploys}. */
@Component(service = DeployCommands.class, property = {
        "osgi.command.scope=plugin",
        "osgi.command.function=install",
        "osgi.command.function=update",
        "osgi.command.function=uninstall",
        "osgi.command.function=reload",
        "osgi.command.function=stop",
        "osgi.command.function=start",
        "osgi.command.function=deploys"})
public final class DeployCommands {
    private final BundleContext context;
    private final PluginRegistry registry;
    private final Deployer deployer;
    private final PluginControl control;

    @Activate
    public DeployCommands(BundleContext context, @Reference PluginRegistry registry, @Reference Deployer deployer,
                          @Reference PluginControl control) {
        this.context = context;
        this.registry = registry;
        this.deployer = deployer;
        this.control = control;
    }

    @Descriptor("installs and starts a plugin bundle from a path or URL, outside the plugin folder")
    public String install(@Descriptor("a jar's path or URL") String source) {
        return started("installed", attempt(() -> deployer.install(source)), true);
    }

    @Descriptor("reads a plugin's file again and updates its bundle in place")
    public String update(@Descriptor("a plugin name, bundle symbolic name or bundle id") String name) {
        ownBundle(name, "change that file to update it, or plugin:reload " + name);
        long id = bundleId(name);
        return started("updated", attempt(() -> deployer.update(id)), true);
    }

    @Descriptor("uninstalls a plugin installed with plugin:install (folder plugins go when their file does)")
    public String uninstall(@Descriptor("a plugin name, bundle symbolic name or bundle id") String name) {
        ownBundle(name, "delete that file to uninstall it");
        long id = bundleId(name);
        attempt(() -> {
            deployer.uninstall(id);
            return null;
        });
        return "uninstalled " + name + "\n";
    }

    @Descriptor("stops and starts a plugin, so its components start afresh")
    public String reload(@Descriptor("a plugin name, bundle symbolic name or bundle id") String name) {
        if (registry.plugin(name).isPresent()) {
            return "reloaded " + name + ": " + steer(() -> control.reload(name)) + "\n";
        }
        long id = bundleId(name);
        return started("reloaded", attempt(() -> deployer.reload(id)), false);
    }

    @Descriptor("stops a plugin (or a plugin bundle) until plugin:start or the server's next start; it stays listed as stopped")
    public String stop(@Descriptor("a plugin name, bundle symbolic name or bundle id") String name) {
        if (registry.plugin(name).isEmpty()) {
            long id = bundleId(name);
            return result("stopped", attempt(() -> deployer.stop(id)));
        }
        return "stopped " + name + ": " + steer(() -> control.stop(name)) + "\n";
    }

    @Descriptor("starts a plugin stopped with plugin:stop, a failed process plugin (afresh), a quarantined one, or a plugin bundle")
    public String start(@Descriptor("a plugin name, bundle symbolic name or bundle id") String name) {
        if (registry.plugin(name).isEmpty()) {
            long id = bundleId(name);
            return started("started", attempt(() -> deployer.start(id)), false);
        }
        return "started " + name + ": " + steer(() -> control.start(name)) + "\n";
    }

    private static PluginState steer(java.util.function.Supplier<PluginState> action) {
        try {
            return action.get();
        } catch (IllegalArgumentException | io.atrium.api.PluginException e) {
            throw new CommandError(e.getMessage());
        }
    }

    @Descriptor("lists what the plugin folder holds: each file, what it deploys, its state and last error")
    public String deploys() {
        List<Deployment> all = deployer.deployments();
        if (all.isEmpty()) {
            return "the plugin folder is empty\n";
        }
        TextTable table = new TextTable("FILE", "KIND", "DEPLOYS", "STATE", "BUNDLE", "DETAIL");
        for (Deployment d : all) {
            table.row(d.file(), d.kind(), d.target().isEmpty() ? "-" : d.target(), d.state(), d.bundleId() < 0 ? "-" : d.bundleId(), d.detail());
        }
        return table.toString();
    }

    /**
     * The reply to a command that was to start the bundle; an error (status 1) when it failed, as
     * plugin:reload NAME fails then. An install or update is done all the same: its reply says so.
     */
    private static String started(String verb, Deployment d, boolean changed) {
        if (d.state() == DeployState.FAILED || d.state() == DeployState.UNRESOLVED || d.state() == DeployState.REFUSED) {
            String which = d.target() + " [" + d.bundleId() + "]";
            throw new CommandError((changed ? verb + " " + which + ", but it" : which) + " did not become active (" + d.state() + ")"
                    + (d.detail().isEmpty() ? "" : ": " + d.detail()));
        }
        return result(verb, d);
    }

    private static String result(String verb, Deployment d) {
        // a stopped bundle's detail is "stopped": said once
        boolean said = d.detail().isEmpty() || d.detail().equals(d.state().toString());
        return verb + " " + d.target() + " [" + d.bundleId() + "]: " + d.state() + (said ? "" : ": " + d.detail()) + "\n";
    }

    /**
     * Refuses a process or wasm plugin's name where a bundle is to be changed: its bundle id is its
     * transport's, which the command would otherwise update or uninstall (or refuse, naming the transport).
     */
    private void ownBundle(String name, String instead) {
        var plugin = registry.plugin(name);
        if (plugin.isPresent() && !plugin.get().transportId().equals(PluginProperties.IN_PROCESS)) {
            throw new CommandError("plugin '" + name + "' is deployed from " + plugin.get().source() + ", not a bundle of its own: " + instead);
        }
    }

    /** Resolves a plugin name, a bundle symbolic name or a bundle id to a bundle id. */
    private long bundleId(String name) {
        var plugin = registry.plugin(name);
        if (plugin.isPresent()) {
            return plugin.get().bundleId();
        }
        for (Bundle b : context.getBundles()) {
            if (name.equals(b.getSymbolicName()) || name.equals(Long.toString(b.getBundleId()))) {
                return b.getBundleId();
            }
        }
        for (Deployment d : deployer.deployments()) {
            if (d.file().equals(name) && d.bundleId() >= 0) {
                return d.bundleId();
            }
        }
        throw new CommandError("unknown plugin '" + name + "' (not a plugin name, bundle symbolic name, bundle id or plugin file)");
    }

    private static <T> T attempt(java.util.function.Supplier<T> action) {
        try {
            return action.get();
        } catch (IllegalArgumentException e) {
            throw new CommandError(e.getMessage());
        }
    }
}
