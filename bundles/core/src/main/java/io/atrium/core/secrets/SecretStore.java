package io.atrium.core.secrets;

import io.atrium.spi.Secrets;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;
import org.osgi.service.cm.ConfigurationListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Keeps the values of secret configuration properties out of Config Admin: each is held in the file
 * {@code secrets} of the core's data area (0600, like the rest of the data folder but whatever the
 * umask), and the configuration holds a placeholder naming a version ({@code <secret #3>}), which
 * changes when the secret does, so that its consumers are told of the change. Files of the plugin
 * folder are sealed before their configuration is written; a value set through Config Admin itself
 * (an embedding product, a shell command) is sealed as soon as Config Admin announces it.
 *
 * <p>Which properties are secret is fixed here: Atrium's own, by PID. A plugin's own configuration
 * is not covered (docs/security.md).
 */
@Component(service = {SecretStore.class, Secrets.class, ConfigurationListener.class})
public final class SecretStore implements Secrets, ConfigurationListener {
    private static final Logger LOG = Logger.getLogger("io.atrium.core.secrets");
    /** The secret properties, by PID. */
    static final Map<String, Set<String>> SECRET = Map.of(
            "io.atrium.trust", Set.of("trustStorePassword"),
            "io.atrium.web", Set.of("token"));
    private static final Pattern PLACEHOLDER = Pattern.compile("<secret #(\\d+)>");
    private static final String FILE = "secrets";

    private final Path file;
    private final ConfigurationAdmin configAdmin;
    private final Properties values = new Properties();

    @Activate
    public SecretStore(BundleContext context, @Reference ConfigurationAdmin configAdmin) {
        this.file = context.getDataFile(FILE).toPath();
        this.configAdmin = configAdmin;
        load();
        for (String pid : SECRET.keySet()) {
            sealStored(pid); // a configuration persisted before secrets were kept apart
        }
    }

    /** @return whether a configuration has secret properties at all */
    public static boolean hasSecrets(String pid) {
        return SECRET.containsKey(pid);
    }

    /**
     * @param pid        the configuration's PID
     * @param properties its properties
     * @return them with every secret value kept here and replaced by its placeholder (the same
     *         object when there is nothing to seal)
     */
    public synchronized Hashtable<String, Object> seal(String pid, Hashtable<String, Object> properties) {
        Set<String> keys = SECRET.get(pid);
        if (keys == null) {
            return properties;
        }
        Hashtable<String, Object> sealed = new Hashtable<>(properties);
        boolean changed = false;
        for (String key : keys) {
            Object v = properties.get(key);
            if (v == null || isPlaceholder(v)) {
                continue;
            }
            if (v.getClass().isArray() || v instanceof java.util.Collection) {
                // its toString() ("[Ljava.lang.String;@1b2c3d4") would become the secret: a token easily guessed
                LOG.severe("configuration " + pid + ": the secret " + key + " is a list, not one value; it is ignored (set it as one string)");
                sealed.remove(key);
                continue;
            }
            String secret = v.toString();
            String name = pid + "/" + key;
            if (!secret.equals(values.getProperty(name))) {
                values.setProperty(name, secret);
                values.setProperty(name + "#", Long.toString(next()));
                changed = true;
            }
            sealed.put(key, "<secret #" + values.getProperty(name + "#") + ">");
        }
        if (changed) {
            save();
        }
        return sealed;
    }

    @Override
    public synchronized String reveal(String pid, String key, Object value) {
        if (value == null) {
            return null;
        }
        Matcher m = PLACEHOLDER.matcher(value.toString());
        if (!m.matches() || !SECRET.getOrDefault(pid, Set.of()).contains(key)) {
            return value.toString();
        }
        String name = pid + "/" + key;
        if (!m.group(1).equals(values.getProperty(name + "#"))) {
            LOG.severe("configuration " + pid + ": the secret " + key + " stands for (" + value + ") is not in " + file
                    + "; set " + key + " again");
            return null;
        }
        return values.getProperty(name);
    }

    @Override
    public void configurationEvent(ConfigurationEvent event) {
        String pid = event.getFactoryPid() != null ? event.getFactoryPid() : event.getPid();
        if (!SECRET.containsKey(pid)) {
            return;
        }
        if (event.getType() == ConfigurationEvent.CM_DELETED && event.getFactoryPid() == null) {
            forget(pid);
        } else if (event.getType() == ConfigurationEvent.CM_UPDATED) {
            sealStored(event.getPid());
        }
    }

    private static boolean isPlaceholder(Object v) {
        return v instanceof String s && PLACEHOLDER.matcher(s).matches();
    }

    /** Seals a configuration Config Admin already holds, if a secret of it is in the clear. */
    private void sealStored(String pid) {
        try {
            Configuration[] found = configAdmin.listConfigurations("(" + Constants.SERVICE_PID + "="
                    + io.atrium.core.registry.Filters.escape(pid) + ")");
            if (found == null) {
                return;
            }
            for (Configuration c : found) {
                Dictionary<String, Object> props = c.getProperties();
                if (props == null) {
                    continue;
                }
                Hashtable<String, Object> copy = new Hashtable<>();
                for (Enumeration<String> keys = props.keys(); keys.hasMoreElements(); ) {
                    String k = keys.nextElement();
                    copy.put(k, props.get(k));
                }
                String owner = c.getFactoryPid() != null ? c.getFactoryPid() : pid;
                Hashtable<String, Object> sealed = seal(owner, copy);
                if (sealed != copy && !sealed.equals(copy)) {
                    c.updateIfDifferent(sealed);
                }
            }
        } catch (IOException | InvalidSyntaxException | IllegalStateException e) {
            LOG.warning("configuration " + pid + ": its secret properties could not be kept apart: " + e.getMessage());
        }
    }

    private synchronized void forget(String pid) {
        if (values.keySet().removeIf(k -> k.toString().startsWith(pid + "/"))) {
            save();
        }
    }

    private long next() {
        long n = Long.parseLong(values.getProperty("#", "0")) + 1;
        values.setProperty("#", Long.toString(n));
        return n;
    }

    private void load() {
        if (!Files.isRegularFile(file)) {
            return;
        }
        try (InputStream in = Files.newInputStream(file)) {
            values.load(in);
        } catch (IOException | IllegalArgumentException e) {
            LOG.severe("cannot read the secrets in " + file + " (" + e.getMessage() + "); secret properties must be set again");
        }
    }

    /** Written whole to an owner-only file, then moved over the old one: never half, never readable by others. */
    private void save() {
        Path tmp = file.resolveSibling(FILE + ".new");
        try {
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (OutputStream out = Files.newOutputStream(tmp)) {
                values.store(out, "secret configuration properties, kept out of Config Admin");
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.severe("cannot write the secrets to " + file + ": " + e.getMessage());
        }
    }
}
