package io.atrium.transport.support;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.cert.CRLReason;
import java.security.cert.Certificate;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;

/**
 * Whether a signer's certificate chain leads to the trust store: each certificate's signature is
 * verified with the next one's key (the names alone prove nothing: anyone can put a trusted CA's
 * public certificate into their own chain), every certificate that issues another is a certificate
 * authority, each is valid at the moment of signing, and none is revoked by a revocation list
 * (CRL) that its issuer signed.
 *
 * <p>The moment of signing is now, unless a time-stamping authority the trust store also holds
 * vouched for an earlier one: a signature time-stamped while its certificate was valid stays valid
 * after the certificate expires, or is revoked later for any reason but a compromised key.
 */
public final class SignerTrust {
    private final KeyStore anchors;
    private final List<X509CRL> revocations;

    /**
     * @param anchors     the trusted certificates
     * @param revocations revocation lists; one is believed only when its issuer's key verifies it
     */
    public SignerTrust(KeyStore anchors, List<X509CRL> revocations) {
        this.anchors = anchors;
        this.revocations = List.copyOf(revocations);
    }

    /** A time stamp's claim: when the signature was made, and the authority's certificate chain. */
    public record Stamp(Date time, List<X509Certificate> authority) {
    }

    /**
     * @param chain the signer's certificate first, then the certificates that issued it, as the signature carries them
     * @param stamp the signature's time stamp, or null
     * @return why the signer is not trusted (one line, naming the certificate), or null when it is
     */
    public String refusal(List<X509Certificate> chain, Stamp stamp) {
        Date signedAt = new Date();
        String stampNote = "";
        boolean stamped = false;
        if (stamp != null) {
            // the authority vouches for the time, so its own standing is judged now, not at the time it claims;
            // and only a certificate made for time-stamping may vouch (else any trusted key could backdate)
            String authority = stamp.authority().isEmpty() || isTimeStamper(stamp.authority().get(0))
                    ? refusal(stamp.authority(), new Date(), false)
                    : "is signed by " + name(stamp.authority().get(0)) + ", which is not a time-stamping authority";
            if (authority == null) {
                signedAt = stamp.time();
                stamped = true;
            } else {
                stampNote = " (its time stamp " + authority + ")";
            }
        }
        String why = refusal(chain, signedAt, stamped);
        return why == null ? null : why + stampNote;
    }

    private String refusal(List<X509Certificate> chain, Date at, boolean stamped) {
        if (chain.isEmpty()) {
            return "carries no certificate";
        }
        String signer = "is signed by " + name(chain.get(0)) + ", ";
        List<X509Certificate> path = new ArrayList<>();
        X509Certificate anchor = null;
        for (int i = 0; i < chain.size() && anchor == null; i++) {
            X509Certificate c = chain.get(i);
            if (isAnchor(c)) {
                anchor = c; // trusted as it is: the store holds this very certificate
                break;
            }
            path.add(c);
            X509Certificate issuer = trustedIssuerOf(c);
            if (issuer != null) {
                anchor = issuer;
            } else if (i + 1 < chain.size()) {
                X509Certificate next = chain.get(i + 1);
                if (!issued(next, c)) {
                    return signer + whose(c, chain) + " is not signed by " + name(next) + ", as the chain claims";
                }
                if (next.getBasicConstraints() < 0) {
                    return signer + whose(c, chain) + " is issued by " + name(next) + ", which is not a certificate authority";
                }
            }
        }
        if (anchor == null) {
            return signer + "which the trust store does not trust";
        }
        path.add(anchor);
        for (X509Certificate c : path) {
            try {
                c.checkValidity(at);
            } catch (CertificateExpiredException e) {
                return signer + whose(c, chain) + " expired on " + day(c.getNotAfter())
                        + (stamped ? ", before the signature's time stamp (" + day(at) + ")" : "");
            } catch (CertificateNotYetValidException e) {
                return signer + whose(c, chain) + " is valid only from " + day(c.getNotBefore());
            }
        }
        for (int i = 0; i + 1 < path.size(); i++) {
            String revoked = revoked(path.get(i), path.get(i + 1), at, stamped);
            if (revoked != null) {
                return signer + whose(path.get(i), chain) + " was revoked on " + revoked;
            }
        }
        return null;
    }

    /** "whose certificate" for the signer's own, "whose issuer X's certificate" for one further up. */
    private static String whose(X509Certificate c, List<X509Certificate> chain) {
        return c.equals(chain.get(0)) ? "whose certificate" : "whose issuer " + name(c) + "'s certificate";
    }

    /** @return when and why the certificate was revoked, by a list its issuer signed, or null */
    private String revoked(X509Certificate c, X509Certificate issuer, Date at, boolean stamped) {
        for (X509CRL crl : revocations) {
            if (!crl.getIssuerX500Principal().equals(c.getIssuerX500Principal())) {
                continue;
            }
            try {
                crl.verify(issuer.getPublicKey());
            } catch (GeneralSecurityException notByThisIssuer) {
                continue; // a list the issuer did not sign says nothing
            }
            X509CRLEntry entry = crl.getRevokedCertificate(c);
            if (entry == null) {
                continue;
            }
            CRLReason reason = entry.getRevocationReason();
            boolean compromised = reason == CRLReason.KEY_COMPROMISE || reason == CRLReason.CA_COMPROMISE;
            if (stamped && !compromised && at.before(entry.getRevocationDate())) {
                continue; // signed, and stamped, while it was still good
            }
            return day(entry.getRevocationDate())
                    + (reason != null ? " (" + reason.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ")" : "");
        }
        return null;
    }

    private boolean isAnchor(X509Certificate c) {
        try {
            for (String alias : Collections.list(anchors.aliases())) {
                if (c.equals(anchors.getCertificate(alias))) {
                    return true;
                }
            }
        } catch (KeyStoreException e) {
            return false;
        }
        return false;
    }

    private X509Certificate trustedIssuerOf(X509Certificate c) {
        try {
            for (String alias : Collections.list(anchors.aliases())) {
                Certificate t = anchors.getCertificate(alias);
                // a trusted certificate vouches for others only when it is a certificate authority
                if (t instanceof X509Certificate x && x.getBasicConstraints() >= 0
                        && x.getSubjectX500Principal().equals(c.getIssuerX500Principal()) && issued(x, c)) {
                    return x;
                }
            }
        } catch (KeyStoreException e) {
            return null;
        }
        return null;
    }

    /** RFC 3161: a time-stamping authority's certificate carries the extended key usage id-kp-timeStamping. */
    private static boolean isTimeStamper(X509Certificate c) {
        try {
            List<String> usages = c.getExtendedKeyUsage();
            return usages != null && usages.contains("1.3.6.1.5.5.7.3.8");
        } catch (java.security.cert.CertificateParsingException e) {
            return false;
        }
    }

    private static boolean issued(X509Certificate issuer, X509Certificate c) {
        try {
            c.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static String name(X509Certificate c) {
        return c.getSubjectX500Principal().getName();
    }

    private static String day(Date d) {
        return d.toInstant().toString().substring(0, 10);
    }
}
