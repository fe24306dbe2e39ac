package io.atrium.transport.script.engine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The embedded engines' versions, as the build wrote them (the engines' own jar manifests are not embedded). */
public final class EngineVersions {
    private static final Properties VERSIONS = read();

    private EngineVersions() {
    }

    private static Properties read() {
        Properties p = new Properties();
        try (InputStream in = EngineVersions.class.getResourceAsStream("engines.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // unknown versions are said as such
        }
        return p;
    }

    /** @return e.g. {@code 1.9.2} for {@code rhino}, or {@code ?} */
    public static String of(String engine) {
        return VERSIONS.getProperty(engine, "?");
    }
}
