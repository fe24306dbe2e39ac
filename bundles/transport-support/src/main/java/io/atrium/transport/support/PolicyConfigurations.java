package io.atrium.transport.support;

import java.io.IOException;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The merged properties of the configurations a transport's policy comes from, read from Config Admin
 * itself. Not the map Declarative Services hands a component of several PIDs: when the component
 * starts, SCR stops at the first of its PIDs that has no configuration and gives it none of the
 * later ones (a restart with io.atrium.trust but no io.atrium.capabilities ran with no trust policy);
 * on a change it merges only the PIDs it has seen. Its calls stay the trigger; this is the content.
 * Secret properties are handed over as their values, not as the placeholders Config Admin holds
 * ({@link io.atrium.spi.Secrets}).
 */
public final class PolicyConfigurations {
    private PolicyConfigurations() {
    }

    /**
     * @param context the transport's bundle context
     * @param given   what Declarative Services passed, used only when there is no Config Admin
     * @param pids    the configurations, later ones winning where keys repeat
     * @return their properties, merged
     */
    public static Map<String, Object> read(BundleContext context, Map<String, Object> given, List<String> pids) {
        ServiceReference<ConfigurationAdmin> ref = context.getServiceReference(ConfigurationAdmin.class);
        ConfigurationAdmin ca = ref == null ? null : context.getService(ref);
        if (ca == null) {
            return given;
        }
        ServiceReference<io.atrium.spi.Secrets> secretsRef = context.getServiceReference(io.atrium.spi.Secrets.class);
        io.atrium.spi.Secrets secrets = secretsRef == null ? null : context.getService(secretsRef);
        try {
            Map<String, Object> merged = new HashMap<>();
            for (String pid : pids) {
                Configuration[] found = ca.listConfigurations("(" + org.osgi.framework.Constants.SERVICE_PID + "=" + pid + ")");
                Dictionary<String, Object> props = found == null || found.length == 0 ? null : found[0].getProperties();
                if (props != null) {
                    for (Enumeration<String> keys = props.keys(); keys.hasMoreElements(); ) {
                        String k = keys.nextElement();
                        Object v = props.get(k);
                        // a secret property holds a placeholder; without the core's secrets it stays one (and fails closed)
                        Object value = v instanceof String && secrets != null ? secrets.reveal(pid, k, v) : v;
                        if (value != null) {
                            merged.put(k, value);
                        }
                    }
                }
            }
            return merged;
        } catch (IOException | InvalidSyntaxException | IllegalStateException e) {
            return given; // Config Admin going away with the framework: what DS passed is all there is
        } finally {
            context.ungetService(ref);
            if (secretsRef != null) {
                context.ungetService(secretsRef);
            }
        }
    }
}
