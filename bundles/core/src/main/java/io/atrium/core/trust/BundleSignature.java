package io.atrium.core.trust;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSigner;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * What a jar's signatures say, checked the way the JDK checks them (each entry's digest against the
 * signed manifest, the manifest against the signature file, that against the signer's certificate),
 * and then against a trust store: every entry must be signed by at least one signer whose certificate
 * chain {@link SignerTrust} accepts (valid when signed, time-stamped or today; not revoked; leading to a
 * certificate in the trust store); other signers of an entry do not count, for or against it.
 *
 * @param signer  the signer's subject when the jar is signed and trusted, else null
 * @param problem why the jar is not trusted, one line, or null
 */
public record BundleSignature(String signer, String problem) {

    /** @return whether the jar is signed by a trusted key */
    public boolean trusted() {
        return problem == null;
    }

    /**
     * Reads the jar as the framework will load it, through its central directory ({@link JarFile}, as
     * Felix's {@code ZipFile}), every entry to its end, which is what makes the JDK verify its digest.
     * The entry-by-entry view of the local headers is the deployer's to hold to the same entries.
     *
     * @param jar   the jar's bytes
     * @param trust the trusted certificates and revocation lists
     * @return the verdict
     */
    public static BundleSignature check(byte[] jar, SignerTrust trust) {
        Path copy = null;
        try {
            copy = Files.createTempFile("atrium-verify", ".jar");
            Files.write(copy, jar);
            return check(copy, trust);
        } catch (IOException e) {
            return new BundleSignature(null, "its signature cannot be read: " + e.getMessage());
        } finally {
            if (copy != null) {
                try {
                    Files.deleteIfExists(copy);
                } catch (IOException e) {
                    // a temporary file left behind is no reason to judge otherwise
                }
            }
        }
    }

    /**
     * @param jar   a jar on disk, read where it lies (the framework's cached copy is what it loads)
     * @param trust the trusted certificates and revocation lists
     * @return the verdict
     */
    public static BundleSignature check(Path jar, SignerTrust trust) {
        try (JarFile file = new JarFile(jar.toFile(), true)) { // not multi-release: every entry by its own name
            return check(file, trust);
        } catch (SecurityException e) {
            return new BundleSignature(null, "its signature does not match its content (" + e.getMessage() + ")");
        } catch (IOException e) {
            return new BundleSignature(null, "its signature cannot be read: " + e.getMessage());
        }
    }

    private static BundleSignature check(JarFile file, SignerTrust trust) throws IOException {
        List<String> unsigned = new ArrayList<>();
        List<String> untrusted = new ArrayList<>();
        Map<CodeSigner, String> refusals = new HashMap<>(); // each signer is judged once
        String firstRefusal = null;
        String trustedSigner = null;
        Set<String> names = new HashSet<>();
        String manifest = null;
        int entries = 0;
        byte[] sink = new byte[8192];
        for (JarEntry e : java.util.Collections.list(file.entries())) {
            if (!names.add(e.getName())) {
                return new BundleSignature(null, "holds the entry " + e.getName() + " twice; which of the two the framework would read cannot be told");
            }
            if (e.getName().equalsIgnoreCase(JarFile.MANIFEST_NAME)) { // the JDK looks for it in any letters, the framework by its exact name
                if (manifest != null) {
                    return new BundleSignature(null, "holds two manifests, " + manifest + " and " + e.getName()
                            + "; which of the two is signed cannot be told");
                }
                manifest = e.getName();
            }
            long length;
            try (InputStream in = file.getInputStream(e)) {
                length = drain(in, sink); // reading an entry to its end is what verifies its digest
            }
            if (e.isDirectory() && length == 0 || isSignatureFile(e.getName())) {
                continue;
            }
            entries++;
            CodeSigner[] signers = e.getCodeSigners();
            if (signers == null || signers.length == 0) {
                unsigned.add(e.getName());
                continue;
            }
            // Any one trusted signer vouches for the entry; the others say nothing either way.
            String refusal = null;
            for (CodeSigner s : signers) {
                String why = refusals.computeIfAbsent(s, k -> refusal(k, trust));
                if (why.isEmpty()) {
                    refusal = null;
                    trustedSigner = trustedSigner != null ? trustedSigner : subject(s);
                    break;
                }
                refusal = refusal != null ? refusal : why;
            }
            if (refusal != null) {
                untrusted.add(e.getName());
                firstRefusal = firstRefusal != null ? firstRefusal : refusal;
            }
        }
        if (unsigned.size() == entries) {
            return new BundleSignature(null, "is not signed");
        }
        if (!unsigned.isEmpty()) {
            return new BundleSignature(null, "is only partly signed: " + unsigned.size() + " of " + entries + " entries are not, e.g. "
                    + unsigned.get(0));
        }
        if (trustedSigner == null) {
            return new BundleSignature(null, firstRefusal);
        }
        if (!untrusted.isEmpty()) {
            return new BundleSignature(null, "is only partly signed by a trusted key: " + untrusted.size() + " of " + entries
                    + " entries are not, e.g. " + untrusted.get(0) + " (it " + firstRefusal + ")");
        }
        return new BundleSignature(trustedSigner, null);
    }

    /** @return why the signer is not trusted, or "" when it is */
    private static String refusal(CodeSigner signer, SignerTrust trust) {
        List<X509Certificate> chain = x509(signer.getSignerCertPath().getCertificates());
        SignerTrust.Stamp stamp = signer.getTimestamp() == null ? null
                : new SignerTrust.Stamp(signer.getTimestamp().getTimestamp(), x509(signer.getTimestamp().getSignerCertPath().getCertificates()));
        String why = trust.refusal(chain, stamp);
        return why == null ? "" : why;
    }

    private static String subject(CodeSigner signer) {
        return x509(signer.getSignerCertPath().getCertificates()).get(0).getSubjectX500Principal().getName();
    }

    private static List<X509Certificate> x509(List<? extends Certificate> certificates) {
        return certificates.stream().filter(X509Certificate.class::isInstance).map(X509Certificate.class::cast).toList();
    }

    /**
     * The manifest and the signature files themselves are not signed entries: by their exact names, as
     * jarsigner writes them (META-INF/MANIFEST.MF; *.SF, *.RSA, *.DSA, *.EC and SIG-* directly in
     * META-INF). Anything else under META-INF, a second manifest or one named in other letters, must be signed.
     */
    static boolean isSignatureFile(String name) {
        if (name.equals("META-INF/MANIFEST.MF")) {
            return true;
        }
        if (!name.startsWith("META-INF/") || name.indexOf('/', 9) >= 0) {
            return false;
        }
        String file = name.substring(9);
        return file.endsWith(".SF") || file.endsWith(".RSA") || file.endsWith(".DSA") || file.endsWith(".EC") || file.startsWith("SIG-");
    }

    private static long drain(InputStream in, byte[] sink) throws IOException {
        long total = 0;
        for (int n; (n = in.read(sink)) >= 0; ) {
            total += n;
        }
        return total;
    }
}
