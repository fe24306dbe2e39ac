package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.osgi.framework.ServiceReference;

/**
 * Secret configuration properties (the trust store's password, the HTTP API's token) are shown by no
 * shell command, log line or configuration: Config Admin holds a placeholder, and the components
 * still get the value, after a restart too.
 */
class SecretsIT extends ServerWithPluginFolder {
    static final String TOKEN = "a-token-only-web-token-prints";

    @Test
    void secretPropertiesAreInNoConfigurationCommandOrLogYetTheirComponentsHaveThem() throws Exception {
        TestKeys keys = new TestKeys(work);
        Path truststore = work.resolve("trust.p12");
        keys.trust(keys.key("author", "Author", null, 30), "author", truststore); // password "trustpass"
        drop("io.atrium.web.cfg", "token = " + TOKEN + "\n");
        drop("io.atrium.trust.cfg", "trustStore = " + truststore + "\ntrustStorePassword = trustpass\n");
        await("the web token is in force", () -> atrium.execute("web:token").output().equals(TOKEN + "\n"));
        await("the trust store is read with its password", () -> atrium.execute("plugin:trust").output().contains("CN=Author"));

        List<String> shown = new ArrayList<>();
        shown.add(atrium.execute("scr:info io.atrium.core.trust.TrustPolicy").output());
        shown.add(atrium.execute("scr:info io.atrium.web.auth.ApiToken").output());
        shown.add(atrium.execute("scr:list").output());
        shown.addAll(configurations("io.atrium.trust", "io.atrium.web"));
        assertTrue(shown.get(0).contains("trustStorePassword"), "scr:info lists the property (else this proves nothing): " + shown.get(0));
        assertTrue(shown.get(0).contains("<secret #"), shown.get(0));
        for (String s : shown) {
            assertFalse(s.contains("trustpass") || s.contains(TOKEN), "a secret is shown: " + s);
        }
        assertTrue(log.stream().noneMatch(l -> l.contains("trustpass") || l.contains(TOKEN)), "a secret is logged");

        // set through Config Admin itself, as an embedding product would: kept apart too, and in force
        Object ca = configAdmin();
        Object web = ca.getClass().getMethod("getConfiguration", String.class, String.class).invoke(ca, "io.atrium.web", "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("token", "another-token-set-through-config-admin");
        web.getClass().getMethod("update", Dictionary.class).invoke(web, props);
        await("the token set through Config Admin is in force", () -> atrium.execute("web:token").output()
                .equals("another-token-set-through-config-admin\n"));
        await("Config Admin holds only a placeholder", () -> configurations("io.atrium.web").stream()
                .noneMatch(c -> c.contains("another-token-set-through-config-admin")));

        // a restart: the components get the values again, from the secrets kept apart
        atrium.stop();
        atrium = TestPlugins.builder().dataDir(work.resolve("data")).pluginDir(folder).start();
        atrium.awaitStarted(java.time.Duration.ofSeconds(30));
        await("the trust store is read with its password after a restart", () -> atrium.execute("plugin:trust").output().contains("CN=Author"));
        assertTrue(configurations("io.atrium.trust").stream().noneMatch(c -> c.contains("trustpass")), configurations("io.atrium.trust").toString());
        Path kept = Files.walk(work.resolve("data")).filter(p -> p.getFileName().toString().equals("secrets")).findFirst().orElseThrow();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(kept)));
    }

    @Test
    void aSecretGivenAsAListIsRefusedInOneLineNotTurnedIntoATokenOfItsJavaName() throws Exception {
        String generated = atrium.execute("web:token").output();
        drop("io.atrium.web.json", "{\"token\": [\"" + TOKEN + "\", \"a-second-token-in-the-list\"]}");
        await("the list is refused in one line", () -> log.stream().anyMatch(l -> l.contains("io.atrium.web")
                && l.contains("token") && l.contains("one value")));
        // a String[] made a token of its Java name ("[Ljava.lang.String;@1b2c3d4": 28 characters, about 32 bits to guess)
        assertEquals(generated, atrium.execute("web:token").output(), "the generated token stays in force");
        assertTrue(log.stream().noneMatch(l -> l.contains(TOKEN)), "a secret is logged");
        assertTrue(configurations("io.atrium.web").stream().noneMatch(c -> c.contains(TOKEN)), configurations("io.atrium.web").toString());
    }

    private Object configAdmin() {
        try {
            // all references: the test's class path is not the Config Admin bundle's class space
            ServiceReference<?> ref = atrium.bundleContext().getAllServiceReferences("org.osgi.service.cm.ConfigurationAdmin", null)[0];
            return atrium.bundleContext().getService(ref);
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What Config Admin holds for these PIDs, as text (what {@code cm} commands and any bundle can read). */
    private List<String> configurations(String... pids) {
        Object ca = configAdmin();
        List<String> out = new ArrayList<>();
        try {
        for (String pid : pids) {
            Object[] found = (Object[]) ca.getClass().getMethod("listConfigurations", String.class).invoke(ca, "(service.pid=" + pid + ")");
            for (Object c : found == null ? new Object[0] : found) {
                out.add(pid + ": " + c.getClass().getMethod("getProperties").invoke(c));
            }
        }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }
}
