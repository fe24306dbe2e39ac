package io.atrium.transport.support;

import io.atrium.api.PluginContract;
import java.util.Map;
import org.osgi.framework.Bundle;
import org.osgi.framework.Version;
import org.osgi.framework.VersionRange;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;

/** Finding the contract interface a manifest names, from a transport bundle with {@code DynamicImport-Package: *}. */
public final class Contracts {
    private Contracts() {
    }

    /**
     * Loads the interface through the transport bundle's dynamic import, and checks that it is a plugin
     * contract in the version range the manifest asks for.
     *
     * @param transport    the transport's bundle
     * @param contract     the interface's fully qualified name
     * @param versionRange an OSGi version range, e.g. {@code [1.0,2.0)}
     * @return the interface
     * @throws IllegalArgumentException one line: not exported, not a contract, not in the range
     */
    public static Class<?> load(Bundle transport, String contract, String versionRange) {
        Class<?> type;
        try {
            type = transport.loadClass(contract);
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            throw new IllegalArgumentException("names the contract " + contract + ", which no bundle of the server exports");
        }
        if (!type.isInterface() || !type.isAnnotationPresent(PluginContract.class)) {
            throw new IllegalArgumentException("names " + contract + ", which is not a plugin contract (an interface marked @PluginContract)");
        }
        VersionRange range;
        try {
            range = new VersionRange(versionRange);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("field 'contractVersion': '" + versionRange + "' is not a version range such as [1.0,2.0)");
        }
        Version provided = packageVersion(transport, type);
        if (provided != null && !range.includes(provided)) {
            throw new IllegalArgumentException("needs " + type.getPackageName() + " " + range + ", but the server provides version " + provided);
        }
        return type;
    }

    /** @return the version of the contract's package the transport is wired to */
    private static Version packageVersion(Bundle transport, Class<?> type) {
        BundleWiring wiring = transport.adapt(BundleWiring.class);
        if (wiring == null) {
            return null;
        }
        for (BundleWire w : wiring.getRequiredWires(PackageNamespace.PACKAGE_NAMESPACE)) {
            Map<String, Object> attrs = w.getCapability().getAttributes();
            if (type.getPackageName().equals(attrs.get(PackageNamespace.PACKAGE_NAMESPACE))) {
                return (Version) attrs.get(PackageNamespace.CAPABILITY_VERSION_ATTRIBUTE);
            }
        }
        return null;
    }
}
