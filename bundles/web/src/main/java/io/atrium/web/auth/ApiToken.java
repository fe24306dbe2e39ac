package io.atrium.web.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.logging.Logger;
import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The bearer token that mutating HTTP requests (calls, reload, stop, start) must carry. It comes
 * from configuration PID {@code io.atrium.web} (property {@code token}, e.g. an
 * {@code io.atrium.web.cfg} in the plugin folder); without one, a random token is made once and kept
 * in the bundle's private data, readable by the server's user only. {@code web:token} prints it.
 */
@Component(service = ApiToken.class, configurationPid = ApiToken.PID,
        property = {"osgi.command.scope=web", "osgi.command.function=token"})
@Designate(ocd = ApiToken.Config.class)
public final class ApiToken {
    /** The configuration of Atrium's HTTP API. */
    public static final String PID = "io.atrium.web";
    private static final Logger LOG = Logger.getLogger("io.atrium.web");

    /** What can be configured. */
    @ObjectClassDefinition(name = "Atrium HTTP API", description = "Access to Atrium's HTTP API and web console")
    public @interface Config {
        @AttributeDefinition(description = "The bearer token of mutating requests; empty: a generated one (web:token shows it)")
        String token() default "";
    }

    /** Shorter tokens are guessed: 16 characters of base64 are 96 bits. */
    static final int MIN_LENGTH = 16;
    private final BundleContext context;
    /** The configured token is a secret: the configuration holds only its placeholder. */
    private final io.atrium.spi.Secrets secrets;
    private final RefusedRequests failures = new RefusedRequests(LOG, java.time.Duration.ofMinutes(1));
    private volatile byte[] expected;
    private volatile String token;

    @Activate
    public ApiToken(BundleContext context, @org.osgi.service.component.annotations.Reference io.atrium.spi.Secrets secrets, Config config) {
        this.context = context;
        this.secrets = secrets;
        modified(config);
    }

    /** A changed token takes effect at once, without taking the API down and up. */
    @Modified
    void modified(Config config) {
        String revealed = secrets.reveal(PID, "token", config.token());
        String configured = revealed == null ? "" : revealed.strip();
        int length = configured.codePointCount(0, configured.length());
        if (!configured.isEmpty() && length < MIN_LENGTH) {
            LOG.warning("configuration " + PID + ": the token is refused, it has " + length + " characters and needs at least "
                    + MIN_LENGTH + " (a short token is guessed); the generated one stays in use ('web:token' prints it)");
            configured = "";
        }
        String next = configured.isEmpty() ? generated(context.getDataFile("api-token")) : configured;
        this.expected = next.getBytes(StandardCharsets.UTF_8);
        this.token = next;
    }

    /**
     * @param authorization the request's {@code Authorization} header, or null
     * @return whether it carries the token in the {@code Bearer} scheme (named in any case, RFC 9110),
     *         compared in constant time
     */
    public boolean accepts(String authorization) {
        if (authorization == null) {
            return false;
        }
        String value = authorization.strip();
        int space = value.indexOf(' ');
        if (space < 0 || !value.substring(0, space).equalsIgnoreCase("Bearer")) {
            return false;
        }
        return MessageDigest.isEqual(expected, value.substring(space + 1).strip().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Says that a request came without the right token: the first of a minute in a line of its own,
     * the others counted in one line when the minute is over (or the server stops), so a client
     * guessing tokens cannot flood the log and is not missed either.
     *
     * @param what the request, e.g. "POST /api/plugins/english:stop from 127.0.0.1"
     */
    public void refused(String what) {
        failures.refused(what);
    }

    @Deactivate
    void deactivate() {
        failures.close();
    }

    @Descriptor("prints the token that the HTTP API's mutating requests and the web console's buttons need")
    public String token() {
        return token + "\n";
    }

    private static String generated(java.io.File file) {
        if (file == null) {
            throw new IllegalStateException("the framework gives the web bundle no data area for its token");
        }
        Path path = file.toPath();
        try {
            if (Files.isRegularFile(path)) {
                String kept = Files.readString(path, StandardCharsets.US_ASCII).strip();
                if (!kept.isEmpty()) {
                    return kept;
                }
            }
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            String made = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            Files.createDirectories(path.getParent());
            Files.deleteIfExists(path);
            Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(path, made + "\n", StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
            LOG.info("the HTTP API's token was generated; 'web:token' prints it, configuration " + PID + " (token) replaces it");
            return made;
        } catch (IOException e) {
            throw new IllegalStateException("cannot keep the HTTP API's token in " + path + ": " + e.getMessage(), e);
        }
    }
}
