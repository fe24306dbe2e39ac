package io.atrium.core.trust;

import io.atrium.transport.support.ManifestFields;
import io.atrium.transport.support.Escape;
import io.atrium.transport.support.ManifestPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The trusted certificates of configuration {@code io.atrium.trust} ({@code trustStore}, a PKCS12 or
 * JKS file, by default {@code ATRIUM_HOME/etc/truststore.p12}; {@code trustStorePassword}), the
 * revocation lists ({@code revocationLists}: CRL files, or folders of them, by default the folder
 * {@code ATRIUM_HOME/etc/crl}), and the check of a detached signature by one of them.
 *
 * @param certificates the trusted certificates (empty: nothing is trusted)
 * @param path         where they were read from, or null
 * @param problem      why the configured store could not be read, or null
 * @param revocations  the revocation lists read
 * @param revocationProblem why a configured revocation list could not be read (then no signer is trusted), or null
 */
record TrustStore(KeyStore certificates, Path path, String problem, List<X509CRL> revocations, String revocationProblem) {

    /**
     * @param config     the configuration's properties
     * @param atriumHome the distribution's folder, or null
     * @return the store; an unreadable one is empty, with the reason
     */
    public static TrustStore of(Map<String, Object> config, String atriumHome) {
        List<String> crlProblems = new ArrayList<>();
        List<X509CRL> crls;
        try {
            crls = revocationLists(config, atriumHome, crlProblems);
        } catch (IllegalArgumentException e) {
            crls = List.of();
            crlProblems.add(e.getMessage());
        }
        List<String> problems = new ArrayList<>();
        Path store;
        try {
            store = storePath(config, atriumHome);
        } catch (IllegalArgumentException e) {
            return new TrustStore(empty(), null, e.getMessage(), List.copyOf(crls), crlProblems.isEmpty() ? null : String.join("; ", crlProblems));
        }
        String text = config.get("trustStore") == null ? "" : config.get("trustStore").toString().strip();
        KeyStore ks = empty();
        if (store == null || !Files.isRegularFile(store)) {
            if (!text.isEmpty()) {
                problems.add("the trust store " + store + " does not exist");
            }
        } else {
            Object pw = config.get("trustStorePassword");
            try (InputStream in = Files.newInputStream(store)) {
                KeyStore loaded = KeyStore.getInstance(store.toString().endsWith(".jks") ? "JKS" : "PKCS12");
                loaded.load(in, pw == null || pw.toString().isEmpty() ? null : pw.toString().toCharArray());
                ks = loaded;
            } catch (IOException | GeneralSecurityException e) {
                problems.add("the trust store " + store + " cannot be read: " + e.getMessage());
            }
        }
        return new TrustStore(ks, store, problems.isEmpty() ? null : problems.get(0), List.copyOf(crls),
                crlProblems.isEmpty() ? null : String.join("; ", crlProblems));
    }

    /** The CRLs of {@code revocationLists}: files (PEM or DER, one or more lists each) and folders of {@code *.crl}. */
    private static List<X509CRL> revocationLists(Map<String, Object> config, String atriumHome, List<String> problems) {
        boolean named = !ManifestFields.values(config.get("revocationLists")).isEmpty();
        List<Path> files = new ArrayList<>();
        for (Path p : revocationPlaces(config, atriumHome)) {
            if (Files.isDirectory(p)) {
                try (var listing = Files.list(p)) {
                    listing.filter(f -> f.getFileName().toString().endsWith(".crl")).sorted().forEach(files::add);
                } catch (IOException e) {
                    problems.add("the revocation lists in " + p + " cannot be read: " + e.getMessage());
                }
            } else if (Files.exists(p) || named) {
                files.add(p);
            }
        }
        List<X509CRL> crls = new ArrayList<>();
        for (Path f : files) {
            if (Files.exists(f) && !Files.isRegularFile(f)) { // a FIFO or device would block the read, and the policy with it
                problems.add("the revocation list " + f + " cannot be read: it is not a regular file");
                continue;
            }
            try (InputStream in = Files.newInputStream(f)) {
                for (java.security.cert.CRL crl : CertificateFactory.getInstance("X.509").generateCRLs(in)) {
                    crls.add((X509CRL) crl);
                }
            } catch (IOException | GeneralSecurityException e) {
                problems.add("the revocation list " + f + " cannot be read: " + (e.getMessage() == null ? e : e.getMessage()));
            }
        }
        return crls;
    }

    /**
     * @param lists revocation lists
     * @param now   the moment to judge them at
     * @return one phrase per list whose next update was due before {@code now} ("list of ISSUER was due an update on DAY")
     */
    public static List<String> outOfDate(List<X509CRL> lists, java.util.Date now) {
        return lists.stream().filter(l -> l.getNextUpdate() != null && l.getNextUpdate().before(now))
                .map(l -> "list of " + l.getIssuerX500Principal().getName() + " was due an update on "
                        + l.getNextUpdate().toInstant().toString().substring(0, 10))
                .toList();
    }

    /**
     * @return where {@code revocationLists} says the lists are (files or folders), or the default folder
     *         {@code ATRIUM_HOME/etc/crl} when it names none
     */
    public static List<Path> revocationPlaces(Map<String, Object> config, String atriumHome) {
        List<String> named = ManifestFields.values(config.get("revocationLists"));
        return named.isEmpty() ? atriumHome == null ? List.of() : List.of(Path.of(atriumHome, "etc", "crl"))
                : named.stream().map(n -> path("revocationLists", n.strip())).toList();
    }

    /**
     * @return where {@code trustStore} says the store is, or the default {@code ATRIUM_HOME/etc/truststore.p12}; null when there is none
     * @throws IllegalArgumentException when it names no valid path (a NUL in it, say), in one line
     */
    public static Path storePath(Map<String, Object> config, String atriumHome) {
        Object configured = config.get("trustStore");
        String text = configured == null ? "" : configured.toString().strip();
        return !text.isEmpty() ? path("trustStore", text) : atriumHome == null ? null : Path.of(atriumHome, "etc", "truststore.p12");
    }

    private static Path path(String key, String text) {
        try {
            return Path.of(text);
        } catch (java.nio.file.InvalidPathException e) {
            throw new IllegalArgumentException(key + " names '" + Escape.oneLine(text) + "', which is not a valid path (" + e.getReason() + ")");
        }
    }

    /** @return the checks of a signer's certificate chain against these certificates and lists */
    public SignerTrust signers() {
        return new SignerTrust(certificates, revocations, revocationProblem);
    }

    /** @return a store that trusts nothing */
    public static KeyStore empty() {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            return ks;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Checks a detached signature: SHA-256 with the key of a trusted certificate (EC, RSA or Ed25519),
     * as {@code openssl dgst -sha256 -sign key.pem} makes it, raw or in base64.
     *
     * @param content   the signed bytes
     * @param signature the signature file's bytes
     * @param what      the signature file's name, for the message
     * @return why the signature is not acceptable (one line), or null when a trusted, valid key made it
     */
    public String refusal(byte[] content, byte[] signature, String what) {
        byte[] sig = decode(signature);
        try {
            for (String alias : Collections.list(certificates.aliases())) {
                Certificate c = certificates.getCertificate(alias);
                if (c == null || !verifies(c.getPublicKey(), content, sig)) {
                    continue;
                }
                if (c instanceof X509Certificate x) {
                    String why = signers().refusal(List.of(x), null);
                    return why == null ? null : what + " " + why;
                }
                return null;
            }
        } catch (java.security.KeyStoreException e) {
            return what + " cannot be checked: " + e.getMessage();
        }
        return what + " is not a signature of this file by a key the trust store holds"
                + (problem != null ? " (" + problem + ")" : "");
    }

    private static boolean verifies(PublicKey key, byte[] content, byte[] sig) {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            return false;
        }
        try {
            Signature s = Signature.getInstance(algorithm);
            s.initVerify(key);
            s.update(content);
            return s.verify(sig);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false; // not this key's signature (or not a signature at all)
        }
    }

    /**
     * @param manifest the manifest file
     * @param content  its bytes, as deployed
     * @param required whether the policy requires a signature
     * @return why the manifest is refused (one line), or null: signed by a trusted key, or unsigned and not required
     */
    public String manifestRefusal(Path manifest, byte[] content, boolean required) {
        Path sig = ManifestPolicy.signatureOf(manifest);
        if (!Files.isRegularFile(sig)) {
            return required ? "it has no signature " + sig.getFileName() + ", and the trust policy (io.atrium.trust "
                    + "requireSignedManifests) requires one" : null;
        }
        try {
            return refusal(content, Files.readAllBytes(sig), sig.getFileName().toString());
        } catch (IOException e) {
            return sig.getFileName() + " cannot be read: " + e.getMessage();
        }
    }

    /** Base64 text (a signature piped through base64) or the raw bytes. */
    private static byte[] decode(byte[] file) {
        String text = new String(file, StandardCharsets.US_ASCII).replaceAll("\\s", "");
        if (text.matches("[A-Za-z0-9+/=]+") && text.length() % 4 == 0) {
            try {
                return Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException notBase64) {
                // raw after all
            }
        }
        return file;
    }
}
