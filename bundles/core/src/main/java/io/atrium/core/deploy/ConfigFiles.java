package io.atrium.core.deploy;

import io.atrium.core.secrets.SecretStore;
import io.atrium.core.trust.PolicyFile;
import io.atrium.core.trust.TrustPolicy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The plugin folder's configuration files ({@link ConfigFile}) to Config Admin: deployed before anything
 * else of a batch, so that what starts in it sees them; a file's configuration goes with the file.
 */
final class ConfigFiles implements FileHandler {
    private final ConfigurationAdmin configAdmin;
    /** Keeps secret properties (a trust store's password) out of the configurations written from files. */
    private final SecretStore secrets;

    ConfigFiles(ConfigurationAdmin configAdmin, SecretStore secrets) {
        this.configAdmin = configAdmin;
        this.secrets = secrets;
    }

    @Override
    public List<String> suffixes() {
        return ConfigFile.SUFFIXES;
    }

    /**
     * The trust policy's file and every {@code .cfg} are the core's: a transport claiming a longer ending
     * ("trust.cfg", "capabilities.cfg", ".cfg") would delete the configurations they hold (the capability
     * policy among them). A JSON configuration stays open to longer endings: manifests are JSON too.
     */
    @Override
    public boolean owns(String name) {
        return PolicyFile.is(name) || name.endsWith(".cfg");
    }

    @Override
    public String kind() {
        return "config";
    }

    @Override
    public int order() {
        return 0;
    }

    @Override
    public void deploy(FolderEntry e, Path file, byte[] bytes, Batch batch) {
        try {
            ConfigFile cfg;
            try {
                cfg = ConfigFile.parse(e.name, bytes);
            } catch (IllegalArgumentException ex) {
                if (PolicyFile.is(e.name)) {
                    failClosed(e, "it " + ex.getMessage()); // "is not a text file: …", "is not a valid properties file: …"
                    return;
                }
                throw ex;
            }
            String unreadable = PolicyFile.is(e.name) ? PolicyFile.unreadable(cfg.properties(), ConfigFile.FILE_PROPERTY) : null;
            if (unreadable != null) {
                failClosed(e, unreadable);
                return;
            }
            Configuration c = cfg.name() == null ? configAdmin.getConfiguration(cfg.pid(), "?")
                    : configAdmin.getFactoryConfiguration(cfg.pid(), cfg.name(), "?");
            if (c.updateIfDifferent(secrets.seal(cfg.pid(), cfg.properties()))) {
                FolderEntry.log(Level.INFO, "configuration " + c.getPid() + " set from " + e.name);
            }
            e.active(c.getPid());
        } catch (IllegalArgumentException | IOException ex) {
            e.refuse(ex.getMessage(), "");
        }
    }

    /**
     * The trust policy's file cannot be read (torn, empty, binary, a key or value it does not know): the
     * strictest policy stands in for it, so what cannot be judged is refused rather than let in by the
     * lenient defaults. Said in one line, naming the file.
     */
    private void failClosed(FolderEntry e, String why) {
        try {
            Configuration c = configAdmin.getConfiguration(TrustPolicy.PID, "?");
            c.updateIfDifferent(PolicyFile.strictest(why, ConfigFile.FILE_PROPERTY, e.name));
            e.target = c.getPid();
        } catch (IOException ex) {
            e.refuse("cannot be read (" + why + "), and the strictest trust policy could not be set: " + ex.getMessage(), "");
            return;
        }
        String detail = "cannot be read (" + why + "); the strictest trust policy is in force until it is mended: " + PolicyFile.STRICTEST;
        boolean changed = e.state != DeployState.REFUSED || !detail.equals(e.detail);
        e.state = DeployState.REFUSED;
        e.detail = detail;
        if (changed) {
            FolderEntry.log(Level.SEVERE, "configuration file " + e.name + " " + detail);
        }
    }

    @Override
    public void removed(FolderEntry e, Batch batch) {
        if (e.target.isEmpty()) {
            return;
        }
        try {
            Configuration[] configs = configAdmin.listConfigurations("(" + ConfigFile.FILE_PROPERTY + "="
                    + io.atrium.core.registry.Filters.escape(e.name) + ")");
            if (configs != null) {
                for (Configuration c : configs) {
                    String pid = c.getPid(); // before the delete, after which the configuration answers nothing
                    c.delete();
                    FolderEntry.log(Level.INFO, "configuration " + pid + " deleted: " + e.name + " was removed");
                }
            }
        } catch (IOException | InvalidSyntaxException ex) {
            FolderEntry.log(Level.WARNING, "configuration from " + e.name + " could not be deleted: " + ex.getMessage());
        }
    }

    /** Configurations whose file is gone. */
    @Override
    public void startedUp(Collection<FolderEntry> present, Batch batch) {
        Set<String> names = new HashSet<>();
        present.forEach(e -> names.add(e.name));
        try {
            Configuration[] configs = configAdmin.listConfigurations("(" + ConfigFile.FILE_PROPERTY + "=*)");
            if (configs != null) {
                for (Configuration c : configs) {
                    Object file = c.getProperties() == null ? null : c.getProperties().get(ConfigFile.FILE_PROPERTY);
                    if (file != null && !names.contains(file.toString())) {
                        String pid = c.getPid();
                        c.delete();
                        FolderEntry.log(Level.INFO, "configuration " + pid + " deleted: " + file + " is gone");
                    }
                }
            }
        } catch (IOException | InvalidSyntaxException e) {
            FolderEntry.log(Level.WARNING, "cannot list configurations from files: " + e.getMessage());
        }
    }
}
