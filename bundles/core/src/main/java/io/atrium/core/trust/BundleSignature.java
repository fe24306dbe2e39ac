package io.atrium.core.trust;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.CodeSigner;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import io.atrium.transport.support.SignerTrust;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;

/**
 * What a jar's signatures say, checked the way the JDK checks them (each entry's digest against the
 * signed manifest, the manifest against the signature file, that against the signer's certificate),
 * and then against a trust store: every entry must be signed, by one signer whose certificate chain
 * {@link SignerTrust} accepts (valid when signed, time-stamped or today; not revoked; leading to a
 * certificate in the trust store).
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
     * @param jar   the jar's bytes
     * @param trust the trusted certificates and revocation lists
     * @return the verdict
     */
    public static BundleSignature check(byte[] jar, SignerTrust trust) {
        List<String> unsigned = new ArrayList<>();
        CodeSigner[] common = null;
        int entries = 0;
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar), true)) {
            byte[] sink = new byte[8192];
            for (JarEntry e; (e = in.getNextJarEntry()) != null; ) {
                drain(in, sink); // reading an entry to its end is what verifies its digest
                if (e.isDirectory() || isSignatureFile(e.getName())) {
                    continue;
                }
                entries++;
                CodeSigner[] signers = e.getCodeSigners();
                if (signers == null || signers.length == 0) {
                    unsigned.add(e.getName());
                } else if (common == null) {
                    common = signers;
                }
            }
        } catch (SecurityException e) {
            return new BundleSignature(null, "its signature does not match its content (" + e.getMessage() + ")");
        } catch (IOException e) {
            return new BundleSignature(null, "its signature cannot be read: " + e.getMessage());
        }
        if (common == null) {
            return new BundleSignature(null, "is not signed");
        }
        if (!unsigned.isEmpty()) {
            return new BundleSignature(null, "is only partly signed: " + unsigned.size() + " of " + entries + " entries are not, e.g. "
                    + unsigned.get(0));
        }
        CodeSigner signer = common[0];
        List<X509Certificate> chain = x509(signer.getSignerCertPath().getCertificates());
        SignerTrust.Stamp stamp = signer.getTimestamp() == null ? null
                : new SignerTrust.Stamp(signer.getTimestamp().getTimestamp(), x509(signer.getTimestamp().getSignerCertPath().getCertificates()));
        String why = trust.refusal(chain, stamp);
        return why == null ? new BundleSignature(chain.get(0).getSubjectX500Principal().getName(), null) : new BundleSignature(null, why);
    }

    private static List<X509Certificate> x509(List<? extends Certificate> certificates) {
        return certificates.stream().filter(X509Certificate.class::isInstance).map(X509Certificate.class::cast).toList();
    }

    /** META-INF/MANIFEST.MF and the signature files themselves are not signed entries. */
    private static boolean isSignatureFile(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        return upper.equals("META-INF/MANIFEST.MF") || upper.startsWith("META-INF/") && !upper.substring(9).contains("/")
                && (upper.endsWith(".SF") || upper.endsWith(".RSA") || upper.endsWith(".DSA") || upper.endsWith(".EC")
                || upper.startsWith("META-INF/SIG-"));
    }

    private static void drain(InputStream in, byte[] sink) throws IOException {
        while (in.read(sink) >= 0) {
            // read to the end
        }
    }
}
