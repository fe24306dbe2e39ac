package io.atrium.runtime.internal;

import io.atrium.runtime.AtriumException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.Enumeration;
import java.util.jar.Manifest;

/**
 * The packages the system bundle exports from the host's class path, so that the host (the
 * launcher, or a product embedding Atrium) and the plugins share one copy of each: Atrium's API
 * and Gogo's command API.
 */
public final class SystemPackages {
    private static final String GOGO = "org.apache.felix.service.command;version=1.0.0,"
            + "org.apache.felix.service.threadio;version=1.0.0";

    private SystemPackages() {
    }

    /** @return the value for {@code org.osgi.framework.system.packages.extra} */
    public static String extra() {
        return apiExports() + "," + GOGO;
    }

    /** The API bundle's own Export-Package header, so versions are never written twice. */
    static String apiExports() {
        try {
            Enumeration<URL> manifests = SystemPackages.class.getClassLoader().getResources("META-INF/MANIFEST.MF");
            while (manifests.hasMoreElements()) {
                try (InputStream in = manifests.nextElement().openStream()) {
                    Manifest mf = new Manifest(in);
                    if ("io.atrium.api".equals(mf.getMainAttributes().getValue("Bundle-SymbolicName"))) {
                        return mf.getMainAttributes().getValue("Export-Package");
                    }
                }
            }
        } catch (IOException e) {
            throw new AtriumException("cannot read the class path's manifests: " + e.getMessage(), e);
        }
        throw new AtriumException("io.atrium.api is not on the class path; add the io.atrium.api jar next to the runtime");
    }
}
