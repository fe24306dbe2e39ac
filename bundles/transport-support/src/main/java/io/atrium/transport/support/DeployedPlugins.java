package io.atrium.transport.support;

import io.atrium.api.Capability;
import io.atrium.api.PluginProperties;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A transport's plugins by manifest file, with what every transport asks of them: one plugin per name
 * across files, lookup by name, and the service properties a plugin's proxy is registered with.
 *
 * @param <P> the transport's plugin type
 */
public final class DeployedPlugins<P> {
    private final Map<Path, P> byFile = new ConcurrentHashMap<>();
    private final Function<P, String> nameOf;
    private final Function<P, Path> fileOf;

    /**
     * @param nameOf a plugin's name
     * @param fileOf a plugin's manifest file
     */
    public DeployedPlugins(Function<P, String> nameOf, Function<P, Path> fileOf) {
        this.nameOf = nameOf;
        this.fileOf = fileOf;
    }

    /**
     * @throws IllegalArgumentException when another manifest already deploys a plugin of that name
     */
    public void checkNameFree(String name, Path file) {
        for (P other : byFile.values()) {
            if (nameOf.apply(other).equals(name) && !fileOf.apply(other).equals(file)) {
                throw new IllegalArgumentException("names the plugin '" + name + "', which " + fileOf.apply(other).getFileName()
                        + " already deploys");
            }
        }
    }

    public P get(Path file) {
        return byFile.get(file);
    }

    public void put(Path file, P plugin) {
        byFile.put(file, plugin);
    }

    public P remove(Path file) {
        return byFile.remove(file);
    }

    public Collection<P> all() {
        return byFile.values();
    }

    public Optional<P> byName(String name) {
        return byFile.values().stream().filter(p -> nameOf.apply(p).equals(name)).findFirst();
    }

    /**
     * @param transport the transport's id, e.g. {@code process}
     * @return the properties a plugin's service is registered with
     */
    public static Hashtable<String, Object> serviceProperties(String name, String version, String transport,
                                                              List<Capability> capabilities, Path manifest) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(PluginProperties.NAME, name);
        props.put(PluginProperties.VERSION, version);
        props.put(PluginProperties.TRANSPORT, transport);
        props.put(PluginProperties.CAPABILITIES, capabilities.stream().map(Capability::toString).toArray(String[]::new));
        props.put(PluginProperties.SOURCE, manifest.getFileName().toString());
        return props;
    }
}
