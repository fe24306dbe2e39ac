package io.atrium.core.trust;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.CodeSigner;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;

/**
 * What a jar's signatures say, checked the way the JDK checks them (each entry's digest against the
 * signed manifest, the manifest against the signature file, that against the signer's certificate),
 * and then against a trust store: every entry must be signed, by one signer whose certificate is
 * valid today and is, or is issued by, a certificate in the trust store.
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
     * @param trust the trusted certificates (may be empty)
     * @return the verdict
     */
    public static BundleSignature check(byte[] jar, KeyStore trust) {
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
        List<? extends Certificate> chain = common[0].getSignerCertPath().getCertificates();
        X509Certificate leaf = (X509Certificate) chain.get(0);
        String subject = leaf.getSubjectX500Principal().getName();
        try {
            leaf.checkValidity();
        } catch (CertificateExpiredException e) {
            return new BundleSignature(null, "is signed by " + subject + ", whose certificate expired on " + day(leaf.getNotAfter()));
        } catch (CertificateNotYetValidException e) {
            return new BundleSignature(null, "is signed by " + subject + ", whose certificate is valid only from " + day(leaf.getNotBefore()));
        }
        return trusted(chain, trust) ? new BundleSignature(subject, null)
                : new BundleSignature(null, "is signed by " + subject + ", which the trust store does not trust");
    }

    private static boolean trusted(List<? extends Certificate> chain, KeyStore trust) {
        try {
            for (String alias : Collections.list(trust.aliases())) {
                Certificate anchor = trust.getCertificate(alias);
                if (anchor == null) {
                    continue;
                }
                for (Certificate c : chain) {
                    if (c.equals(anchor)) {
                        return true;
                    }
                }
                try {
                    chain.get(chain.size() - 1).verify(anchor.getPublicKey()); // issued by a trusted certificate
                    return true;
                } catch (GeneralSecurityException notIssuedByIt) {
                    // try the next one
                }
            }
        } catch (java.security.KeyStoreException e) {
            return false;
        }
        return false;
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

    private static String day(java.util.Date d) {
        return d.toInstant().toString().substring(0, 10);
    }
}
