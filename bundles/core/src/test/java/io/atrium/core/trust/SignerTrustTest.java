package io.atrium.core.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/**
 * The decisions of {@link SignerTrust} that the runtime's SignerChainIT does not reach with keytool
 * and jarsigner: an issuer that is no certificate authority, and revocations against time stamps.
 * Real EC keys and certificates, made here.
 */
class SignerTrustTest {
    private static final AtomicLong SERIAL = new AtomicLong(1);
    private static final Instant NOW = Instant.now();

    record Key(KeyPair pair, X509Certificate cert) {
    }

    static Key key(String cn, Key issuer, boolean ca, Instant from, Instant until) throws Exception {
        return key(cn, issuer, ca, false, from, until);
    }

    static Key key(String cn, Key issuer, boolean ca, boolean timeStamper, Instant from, Instant until) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        KeyPair pair = g.generateKeyPair();
        X500Principal subject = new X500Principal("CN=" + cn);
        var b = new JcaX509v3CertificateBuilder(issuer == null ? subject : issuer.cert().getSubjectX500Principal(),
                BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(from), Date.from(until), subject, pair.getPublic());
        if (ca) {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        }
        if (timeStamper) {
            b.addExtension(Extension.extendedKeyUsage, true, new ExtendedKeyUsage(KeyPurposeId.id_kp_timeStamping));
        }
        var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuer == null ? pair.getPrivate() : issuer.pair().getPrivate());
        return new Key(pair, new JcaX509CertificateConverter().getCertificate(b.build(signer)));
    }

    static Key key(String cn, Key issuer, boolean ca) throws Exception {
        return key(cn, issuer, ca, NOW.minus(Duration.ofDays(30)), NOW.plus(Duration.ofDays(30)));
    }

    static KeyStore trusting(X509Certificate... certs) throws Exception {
        KeyStore ks = TrustStore.empty();
        for (X509Certificate c : certs) {
            ks.setCertificateEntry(c.getSubjectX500Principal().getName(), c);
        }
        return ks;
    }

    static X509CRL revoking(Key ca, X509Certificate cert, Instant when, int reason) throws Exception {
        return revoking(ca, cert, when, reason, null);
    }

    /** reason 0: the entry gives no reason */
    static X509CRL revoking(Key ca, X509Certificate cert, Instant when, int reason, Instant nextUpdate) throws Exception {
        var b = new JcaX509v2CRLBuilder(ca.cert().getSubjectX500Principal(), Date.from(NOW));
        if (nextUpdate != null) {
            b.setNextUpdate(Date.from(nextUpdate));
        }
        b.addCRLEntry(cert.getSerialNumber(), Date.from(when), reason);
        return new JcaX509CRLConverter().getCRL(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.pair().getPrivate())));
    }

    @Test
    void anIssuerThatIsNoCertificateAuthorityBreaksTheChain() throws Exception {
        Key ca = key("Root", null, true);
        Key notCa = key("Plain Author", ca, false);
        Key leaf = key("Sub Author", notCa, false);
        SignerTrust trust = new SignerTrust(trusting(ca.cert()), List.of());
        assertNull(trust.refusal(List.of(notCa.cert()), null), "issued by the trusted root");
        assertEquals("is signed by CN=Sub Author, whose certificate is issued by CN=Plain Author, which is not a certificate authority",
                trust.refusal(List.of(leaf.cert(), notCa.cert()), null));
        Key mid = key("Intermediate", ca, true);
        Key viaMid = key("Sub Author", mid, false);
        assertNull(trust.refusal(List.of(viaMid.cert(), mid.cert()), null), "through an intermediate CA");
    }

    @Test
    void aTimeStampBeforeARevocationKeepsTheSignatureOnlyForAHarmlessReason() throws Exception {
        Key ca = key("Root", null, true);
        Key author = key("Author", ca, false);
        Key tsa = key("Stamps", null, false, true, NOW.minus(Duration.ofDays(30)), NOW.plus(Duration.ofDays(30)));
        Instant revoked = NOW.minus(Duration.ofDays(5));
        SignerTrust.Stamp before = new SignerTrust.Stamp(Date.from(NOW.minus(Duration.ofDays(10))), List.of(tsa.cert()));
        SignerTrust.Stamp after = new SignerTrust.Stamp(Date.from(NOW.minus(Duration.ofDays(1))), List.of(tsa.cert()));

        SignerTrust superseded = new SignerTrust(trusting(ca.cert(), tsa.cert()),
                List.of(revoking(ca, author.cert(), revoked, CRLReason.superseded)));
        assertNull(superseded.refusal(List.of(author.cert()), before), "signed and stamped while it was still good");
        String day = revoked.toString().substring(0, 10);
        assertEquals("is signed by CN=Author, whose certificate was revoked on " + day + " (superseded)",
                superseded.refusal(List.of(author.cert()), after));
        assertEquals("is signed by CN=Author, whose certificate was revoked on " + day + " (superseded)",
                superseded.refusal(List.of(author.cert()), null), "without a stamp, the moment of signing is now");

        // a compromised key could have made the stamp too; no reason given might hide a compromise
        for (int reason : new int[] {CRLReason.keyCompromise, CRLReason.aACompromise, 0 /* no reason extension */}) {
            SignerTrust inDoubt = new SignerTrust(trusting(ca.cert(), tsa.cert()), List.of(revoking(ca, author.cert(), revoked, reason)));
            String why = reason == 0 ? "" : reason == CRLReason.keyCompromise ? " (key compromise)" : " (aa compromise)";
            assertEquals("is signed by CN=Author, whose certificate was revoked on " + day + why,
                    inDoubt.refusal(List.of(author.cert()), before), "reason " + reason);
        }
    }

    @Test
    void aTrustedCertificateThatIsNoCertificateAuthorityVouchesForNoOther() throws Exception {
        Key plain = key("Plain", null, false);
        Key minted = key("Minted", plain, false);
        SignerTrust trust = new SignerTrust(trusting(plain.cert()), List.of());
        assertNull(trust.refusal(List.of(plain.cert()), null), "trusted as it is");
        assertEquals("is signed by CN=Minted, which the trust store does not trust", trust.refusal(List.of(minted.cert()), null));
        assertEquals("is signed by CN=Minted, whose certificate is issued by CN=Plain, which is not a certificate authority",
                trust.refusal(List.of(minted.cert(), plain.cert()), null));
    }

    @Test
    void onlyATimeStampingAuthorityValidNowCanVouchForAnEarlierMoment() throws Exception {
        Instant longAgo = NOW.minus(Duration.ofDays(60));
        Key ca = key("Root", null, true, longAgo, NOW.plus(Duration.ofDays(30)));
        Key expired = key("Author", ca, false, longAgo, NOW.minus(Duration.ofDays(20)));
        Date whileValid = Date.from(NOW.minus(Duration.ofDays(40)));
        String expiredDay = NOW.minus(Duration.ofDays(20)).toString().substring(0, 10);

        Key anyKey = key("Any Key", ca, false); // trusted through the root, but not made for time-stamping
        SignerTrust trust = new SignerTrust(trusting(ca.cert()), List.of());
        assertEquals("is signed by CN=Author, whose certificate expired on " + expiredDay
                        + " (its time stamp is signed by CN=Any Key, which is not a time-stamping authority)",
                trust.refusal(List.of(expired.cert()), new SignerTrust.Stamp(whileValid, List.of(anyKey.cert()))));

        Key oldTsa = key("Old Stamps", ca, false, true, longAgo, NOW.minus(Duration.ofDays(1)));
        String oldTsaDay = NOW.minus(Duration.ofDays(1)).toString().substring(0, 10);
        assertEquals("is signed by CN=Author, whose certificate expired on " + expiredDay
                        + " (its time stamp is signed by CN=Old Stamps, whose certificate expired on " + oldTsaDay + ")",
                trust.refusal(List.of(expired.cert()), new SignerTrust.Stamp(whileValid, List.of(oldTsa.cert()))),
                "the authority's standing is judged now, not at the time it claims");

        Key tsa = key("Stamps", ca, false, true, longAgo, NOW.plus(Duration.ofDays(30)));
        assertNull(trust.refusal(List.of(expired.cert()), new SignerTrust.Stamp(whileValid, List.of(tsa.cert()))));
    }

    @Test
    void aCertificateNotYetValidAtTheMomentOfSigningIsRefused() throws Exception {
        Key ca = key("Root", null, true);
        Key early = key("Early", ca, false, NOW.plus(Duration.ofDays(2)), NOW.plus(Duration.ofDays(30)));
        String from = NOW.plus(Duration.ofDays(2)).toString().substring(0, 10);
        assertEquals("is signed by CN=Early, whose certificate is valid only from " + from,
                new SignerTrust(trusting(ca.cert()), List.of()).refusal(List.of(early.cert()), null));
    }

    @Test
    void aCertificateTheStoreHoldsIsStillRevokedByTheTrustedAuthorityThatIssuedIt() throws Exception {
        Key ca = key("Root", null, true);
        Key author = key("Author", ca, false);
        Instant revoked = NOW.minus(Duration.ofDays(2));
        SignerTrust trust = new SignerTrust(trusting(ca.cert(), author.cert()),
                List.of(revoking(ca, author.cert(), revoked, CRLReason.keyCompromise)));
        assertEquals("is signed by CN=Author, whose certificate was revoked on " + revoked.toString().substring(0, 10) + " (key compromise)",
                trust.refusal(List.of(author.cert()), null));
        assertNull(new SignerTrust(trusting(ca.cert(), author.cert()), List.of()).refusal(List.of(author.cert()), null));
    }

    @Test
    void anUnreadableRevocationListTrustsNoSignerAndAStaleOneIsNamed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Key ca = key("Root", null, true);
        Key author = key("Author", ca, false);
        java.nio.file.Path store = dir.resolve("trust.p12");
        try (var out = java.nio.file.Files.newOutputStream(store)) {
            trusting(ca.cert()).store(out, "pw".toCharArray());
        }
        java.nio.file.Path broken = dir.resolve("broken.crl");
        java.nio.file.Files.writeString(broken, "-----BEGIN X509 CRL-----\nnot a list\n-----END X509 CRL-----\n");
        TrustStore ts = TrustStore.of(java.util.Map.of("trustStore", store.toString(), "trustStorePassword", "pw",
                "revocationLists", broken.toString()), null);
        assertNull(ts.problem(), "the store itself was read");
        org.junit.jupiter.api.Assertions.assertTrue(ts.revocationProblem().startsWith("the revocation list " + broken + " cannot be read"),
                ts.revocationProblem());
        assertEquals("is signed by CN=Author, whose revocation cannot be checked: " + ts.revocationProblem(),
                ts.signers().refusal(List.of(author.cert()), null), "fails closed: the one revocation that matters might be in it");

        java.nio.file.Path missing = dir.resolve("gone.crl"); // named, but not there: as unreadable
        TrustStore none = TrustStore.of(java.util.Map.of("trustStore", store.toString(), "trustStorePassword", "pw",
                "revocationLists", missing.toString()), null);
        org.junit.jupiter.api.Assertions.assertTrue(none.revocationProblem().startsWith("the revocation list " + missing + " cannot be read"),
                none.revocationProblem());
        org.junit.jupiter.api.Assertions.assertNotNull(none.signers().refusal(List.of(author.cert()), null));

        java.nio.file.Path good = dir.resolve("root.crl");
        X509CRL stale = revoking(ca, key("Other", ca, false).cert(), NOW.minus(Duration.ofDays(3)), CRLReason.superseded,
                NOW.minus(Duration.ofDays(1)));
        java.nio.file.Files.write(good, stale.getEncoded());
        TrustStore fine = TrustStore.of(java.util.Map.of("trustStore", store.toString(), "trustStorePassword", "pw",
                "revocationLists", good.toString()), null);
        assertNull(fine.revocationProblem());
        assertNull(fine.signers().refusal(List.of(author.cert()), null), "a stale list still counts; the author is not on it");
        assertEquals(List.of("list of CN=Root was due an update on " + NOW.minus(Duration.ofDays(1)).toString().substring(0, 10)),
                TrustStore.outOfDate(fine.revocations(), new Date()));
    }

    @Test
    void theTrustFilesAreReadAgainWhenAListAppearsOrTheStoreIsReplaced(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Key ca = key("Root", null, true);
        Key author = key("Author", ca, false);
        java.nio.file.Path store = dir.resolve("trust.p12");
        try (var out = java.nio.file.Files.newOutputStream(store)) {
            trusting(ca.cert()).store(out, "pw".toCharArray());
        }
        java.nio.file.Path crls = java.nio.file.Files.createDirectories(dir.resolve("crl"));
        TrustFiles files = new TrustFiles(java.util.Map.of("trustStore", store.toString(), "trustStorePassword", "pw",
                "revocationLists", crls.toString()), null);
        assertNull(files.current().signers().refusal(List.of(author.cert()), null));
        assertNull(files.refresh(), "nothing changed: nothing read again");

        java.nio.file.Files.write(crls.resolve("root.crl"), revoking(ca, author.cert(), NOW.minus(Duration.ofHours(1)), CRLReason.keyCompromise).getEncoded());
        assertEquals(1, files.current().revocations().size(), "a list dropped into the folder counts at once");
        org.junit.jupiter.api.Assertions.assertNotNull(files.current().signers().refusal(List.of(author.cert()), null));

        java.nio.file.Files.delete(crls.resolve("root.crl"));
        java.nio.file.Path other = dir.resolve("other.p12");
        try (var out = java.nio.file.Files.newOutputStream(other)) {
            trusting(key("Someone Else", null, true).cert()).store(out, "pw".toCharArray());
        }
        java.nio.file.Files.move(other, store, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertEquals("is signed by CN=Author, which the trust store does not trust", files.current().signers().refusal(List.of(author.cert()), null),
                "a replaced store counts at once");
    }

    @Test
    void aPathThatIsNoPathIsAProblemOfTheStoreNotAnException(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        TrustFiles bad = new TrustFiles(java.util.Map.of("trustStore", dir + "/trust\u0000.p12"), null);
        assertEquals("trustStore names '" + dir + "/trust\\x00.p12', which is not a valid path (Nul character not allowed)",
                bad.current().problem());
        TrustFiles badList = new TrustFiles(java.util.Map.of("revocationLists", dir + "/a\u0000.crl"), null);
        org.junit.jupiter.api.Assertions.assertTrue(badList.current().revocationProblem().startsWith("revocationLists names '"),
                badList.current().revocationProblem());
        org.junit.jupiter.api.Assertions.assertNotNull(badList.current().signers().refusal(List.of(key("Author", null, false).cert()), null),
                "fails closed");
    }

    @Test
    void aListRewrittenInPlaceWithItsOldSizeAndTimeIsSeen(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Key ca = key("Root", null, true);
        java.nio.file.Path crl = dir.resolve("root.crl");
        byte[] first = revoking(ca, key("A", ca, false).cert(), NOW.minus(Duration.ofHours(1)), CRLReason.keyCompromise).getEncoded();
        byte[] second = first.clone();
        second[second.length - 1] ^= 1; // the signature's last byte: another list of the same size
        java.nio.file.Files.write(crl, first);
        java.nio.file.attribute.FileTime time = java.nio.file.Files.getLastModifiedTime(crl);
        TrustFiles files = new TrustFiles(java.util.Map.of("revocationLists", crl.toString()), null);
        X509CRL before = files.current().revocations().get(0);
        try (var out = java.nio.file.Files.newOutputStream(crl, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
            out.write(second); // in place: the same file, the same size
        }
        java.nio.file.Files.setLastModifiedTime(crl, time); // and its old time, as cp -p or tar restores it
        org.junit.jupiter.api.Assertions.assertNotNull(files.refresh(), "the new list is seen");
        org.junit.jupiter.api.Assertions.assertNotEquals(List.of(before), files.current().revocations());
    }

    @Test
    void aRevocationListThatIsAFifoFailsClosedInsteadOfBlocking(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path fifo = dir.resolve("pipe.crl");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        java.util.concurrent.CompletableFuture<TrustStore> read = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> TrustStore.of(java.util.Map.of("revocationLists", dir.toString()), null));
        TrustStore store = read.get(30, java.util.concurrent.TimeUnit.SECONDS); // before: blocked in open() until a writer came
        assertEquals("the revocation list " + fifo + " cannot be read: it is not a regular file", store.revocationProblem());
    }
}
