package io.atrium.core.trust;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.cert.CRLReason;
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
 * after the certificate expires, or is revoked later for a reason that does not put the key in doubt
 * (a revocation without a reason might be a compromise: it gets no such grace).
 *
 * <p>A configured revocation list that cannot be read fails closed: no signer is trusted until it
 * can, since the one revocation that matters might be in it.
 */
final class SignerTrust {
    private final List<X509Certificate> anchors;
    private final List<X509CRL> revocations;
    private final String revocationProblem;

    /**
     * @param anchors     the trusted certificates
     * @param revocations revocation lists; one is believed only when its issuer's key verifies it
     */
    public SignerTrust(KeyStore anchors, List<X509CRL> revocations) {
        this(anchors, revocations, null);
    }

    /**
     * @param anchors           the trusted certificates
     * @param revocations       revocation lists; one is believed only when its issuer's key verifies it
     * @param revocationProblem why a configured revocation list could not be read (then nothing is trusted), or null
     */
    public SignerTrust(KeyStore anchors, List<X509CRL> revocations, String revocationProblem) {
        this.anchors = certificates(anchors);
        this.revocations = List.copyOf(revocations);
        this.revocationProblem = revocationProblem;
    }

    /** The store's certificates, read once: every chain is matched against them certificate by certificate. */
    private static List<X509Certificate> certificates(KeyStore store) {
        List<X509Certificate> out = new ArrayList<>();
        try {
            for (String alias : Collections.list(store.aliases())) {
                if (store.getCertificate(alias) instanceof X509Certificate x) {
                    out.add(x);
                }
            }
        } catch (KeyStoreException e) {
            return List.of(); // an unloaded store trusts nothing
        }
        return List.copyOf(out);
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
        if (revocationProblem != null) {
            return signer + "whose revocation cannot be checked: " + revocationProblem;
        }
        // a certificate the store holds may itself be revoked by the trusted authority that issued it
        X509Certificate above = anchor.getIssuerX500Principal().equals(anchor.getSubjectX500Principal()) ? null : trustedIssuerOf(anchor);
        if (above != null) {
            path.add(above);
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
            // no reason given (or "unspecified") may hide a compromise: only a harmless reason keeps a stamped signature
            boolean keyInDoubt = reason == null || reason == CRLReason.UNSPECIFIED || reason == CRLReason.KEY_COMPROMISE
                    || reason == CRLReason.CA_COMPROMISE || reason == CRLReason.AA_COMPROMISE;
            if (stamped && !keyInDoubt && at.before(entry.getRevocationDate())) {
                continue; // signed, and stamped, while it was still good
            }
            return day(entry.getRevocationDate())
                    + (reason != null ? " (" + reason.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ")" : "");
        }
        return null;
    }

    private boolean isAnchor(X509Certificate c) {
        return anchors.contains(c);
    }

    private X509Certificate trustedIssuerOf(X509Certificate c) {
        for (X509Certificate x : anchors) {
            // a trusted certificate vouches for others only when it is a certificate authority
            if (x.getBasicConstraints() >= 0 && x.getSubjectX500Principal().equals(c.getIssuerX500Principal()) && issued(x, c)) {
                return x;
            }
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
