package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.atrium.api.greeting.Greeter;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.DefaultDigestAlgorithmIdentifierFinder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.tsp.TSPAlgorithms;
import org.bouncycastle.tsp.TimeStampRequest;
import org.bouncycastle.tsp.TimeStampResponseGenerator;
import org.bouncycastle.tsp.TimeStampTokenGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Certificate chains behind bundle signatures (issue 7): a key certified by a trusted certificate
 * authority, a forged chain, revocation lists, and time stamps that keep a signature valid after
 * its certificate expires. Keys by keytool, signatures by jarsigner, time stamps by a real RFC 3161
 * server on loopback, revocation lists signed by the test's certificate authority.
 */
class SignerChainIT extends ServerWithPluginFolder {
    private TestKeys keys;
    private HttpServer timeStamping;

    @AfterEach
    void stopTimeStamping() {
        if (timeStamping != null) {
            timeStamping.stop(0);
        }
    }

    /** The folder's files, for a failure's message. */
    String deploys() {
        return PluginFacts.folder(atrium);
    }

    /** Waits until the folder lists the file as refused by the trust policy, and returns why. */
    String refusal(String file) throws InterruptedException {
        await(() -> file + " refused: " + deploys(), () -> PluginFacts.refused(atrium, file, "trust policy: enforce"));
        assertTrue(atrium.service(Greeter.class, file.replace(".jar", "")).isEmpty(), file + " must not be installed");
        return PluginFacts.detail(atrium, file);
    }

    Path bundle(String name) throws Exception {
        return TestPlugins.dsGreeter(work, "t." + name, "1.0.0", name, name);
    }

    static KeyStore load(Path p12) throws Exception {
        return TestKeys.load(p12);
    }

    static KeyStore jks(Path store) throws Exception {
        KeyStore ks = KeyStore.getInstance("JKS");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, TestKeys.PASSWORD.toCharArray());
        }
        return ks;
    }

    void enforce(Path truststore, String more) throws Exception {
        drop("io.atrium.trust.cfg", "bundleSignatures = enforce\ntrustStore = " + truststore + "\ntrustStorePassword = trustpass\n" + more);
        // the configuration arrives beside the deploys: an unsigned probe, changed until refused, says it is in force
        for (int i = 0; !PluginFacts.refused(atrium, "probe.jar", "is not signed (trust policy: enforce)"); i++) {
            assertTrue(i < 300, "the trust policy never came into force: " + deploys());
            place(TestPlugins.dsGreeter(work, "t.probe", "1.0." + i, "probe", "Probe"), "probe.jar");
            Thread.sleep(50);
        }
    }

    @Test
    void aKeyCertifiedByATrustedAuthorityIsTrustedAForgedChainOrARevokedKeyIsNot() throws Exception {
        keys = new TestKeys(work);
        Path ca = keys.key("ca", "Atrium Test CA", null, 30, "bc:c");
        Certificate caCert = load(ca).getCertificate("ca");
        Path author = keys.certify("author", keys.key("author", "Certified Author", null, 30), "ca", ca, 20, caCert);
        Path revokedAuthor = keys.certify("revoked", keys.key("revoked", "Revoked Author", null, 30), "ca", ca, 20, caCert);
        // a forger makes a CA of the same name and puts the real CA's (public) certificate into the chain
        Path fakeCa = keys.key("fakeca", "Atrium Test CA", null, 30, "bc:c");
        Path forger = keys.certify("forger", keys.key("forger", "Forger", null, 30), "fakeca", fakeCa, 20, caCert);
        Path truststore = work.resolve("trust.p12");
        keys.trust(ca, "ca", truststore); // only the authority: the authors are trusted through it

        // the CA revokes one key (compromised); an outsider's list naming the good author is not the CA's word
        KeyStore caStore = load(ca);
        X509Certificate revokedCert = (X509Certificate) jks(revokedAuthor).getCertificate("revoked");
        X509Certificate authorCert = (X509Certificate) jks(author).getCertificate("author");
        Date yesterday = Date.from(Instant.now().minus(Duration.ofDays(1)));
        Path crls = Files.createDirectories(work.resolve("crl"));
        Files.write(crls.resolve("ca.crl"), crl((X509Certificate) caCert, (PrivateKey) caStore.getKey("ca", TestKeys.PASSWORD.toCharArray()),
                revokedCert.getSerialNumber(), yesterday, CRLReason.keyCompromise));
        Files.write(crls.resolve("outsider.crl"), crl((X509Certificate) caCert, (PrivateKey) load(fakeCa).getKey("fakeca", TestKeys.PASSWORD.toCharArray()),
                authorCert.getSerialNumber(), yesterday, CRLReason.keyCompromise));
        enforce(truststore, "revocationLists = " + crls + "\n");

        place(keys.signed(bundle("certified"), author, "author"), "certified.jar");
        place(keys.signed(bundle("forged"), forger, "forger"), "forged.jar");
        place(keys.signed(bundle("revokedone"), revokedAuthor, "revoked"), "revokedone.jar");

        assertEquals("certified, x", greeter("certified").greet("x"), "a key certified by a trusted CA is trusted; the outsider's CRL is ignored");
        String forgedLine = refusal("forged.jar");
        assertTrue(forgedLine.contains("is signed by CN=Forger, whose certificate is not signed by CN=Atrium Test CA, as the chain claims"), forgedLine);
        String revokedLine = refusal("revokedone.jar");
        assertTrue(revokedLine.matches(".*is signed by CN=Revoked Author, whose certificate was revoked on \\d{4}-\\d\\d-\\d\\d \\(key compromise\\).*"),
                revokedLine);
        assertTrue(atrium.execute("plugin:trust").output().matches("(?s).*revocation lists +2 \\(" + java.util.regex.Pattern.quote(crls.toString())
                + "\\).*"), atrium.execute("plugin:trust").output());

        // a list that cannot be read fails closed: no signer is trusted until it can be
        Path torn = crls.resolve("torn.crl");
        Files.writeString(torn, "-----BEGIN X509 CRL-----\nMIIB\n");
        drop("io.atrium.trust.cfg", "bundleSignatures = enforce\ntrustStore = " + truststore + "\ntrustStorePassword = trustpass\n"
                + "revocationLists = " + crls + "\nallowLinksOutside = false\n");
        await("plugin:trust names the torn list", () -> atrium.execute("plugin:trust").output().contains(torn + " cannot be read"));
        place(keys.signed(bundle("certifiedagain"), author, "author"), "certifiedagain.jar");
        String tornLine = refusal("certifiedagain.jar");
        assertTrue(tornLine.contains("is signed by CN=Certified Author, whose revocation cannot be checked: the revocation list " + torn
                + " cannot be read"), tornLine);
    }

    @Test
    void aRevocationListDroppedIntoItsFolderCountsWithoutTheConfigurationBeingTouched() throws Exception {
        keys = new TestKeys(work);
        Path ca = keys.key("ca", "Atrium Test CA", null, 30, "bc:c");
        Certificate caCert = load(ca).getCertificate("ca");
        Path author = keys.certify("author", keys.key("author", "Certified Author", null, 30), "ca", ca, 20, caCert);
        Path truststore = work.resolve("trust.p12");
        keys.trust(ca, "ca", truststore);
        Path crls = Files.createDirectories(work.resolve("crl"));
        enforce(truststore, "revocationLists = " + crls + "\n");
        place(keys.signed(bundle("before"), author, "author"), "before.jar");
        assertEquals("before, x", greeter("before").greet("x"));
        assertTrue(atrium.execute("plugin:trust").output().matches("(?s).*revocation lists +0 \\(.*"), atrium.execute("plugin:trust").output());

        // the CA revokes the author's key: a list appears in the folder, the configuration stays as it was
        X509Certificate authorCert = (X509Certificate) jks(author).getCertificate("author");
        Path part = work.resolve("ca.crl.part");
        Files.write(part, crl((X509Certificate) caCert, (PrivateKey) load(ca).getKey("ca", TestKeys.PASSWORD.toCharArray()),
                authorCert.getSerialNumber(), Date.from(Instant.now().minus(Duration.ofHours(1))), CRLReason.keyCompromise));
        Files.move(part, crls.resolve("ca.crl"), StandardCopyOption.ATOMIC_MOVE);
        await("plugin:trust counts the new list", () -> atrium.execute("plugin:trust").output().matches("(?s).*revocation lists +1 \\(.*"));
        place(keys.signed(bundle("after"), author, "author"), "after.jar");
        String line = refusal("after.jar");
        assertTrue(line.contains("is signed by CN=Certified Author, whose certificate was revoked on"), line);
        // and what it signed that already ran stops: a revoked key vouches for nothing
        await("the bundle the revoked key signed stops", () -> atrium.service(Greeter.class, "before").isEmpty());
        String before = refusal("before.jar");
        assertTrue(before.contains("whose certificate was revoked on"), before);
    }

    @Test
    void aTimeStampByATrustedAuthorityKeepsASignatureValidAfterItsCertificateExpires() throws Exception {
        keys = new TestKeys(work);
        Path lapsed = keys.key("lapsed", "Lapsed Author", "-10d", 2); // valid from 10 days ago until 8 days ago
        Path tsa = keys.key("tsa", "Atrium Test TSA", "-30d", 60, "eku:critical=timeStamping");
        Path otherTsa = keys.key("othertsa", "Untrusted TSA", "-30d", 60, "eku:critical=timeStamping");
        Path truststore = work.resolve("trust.p12");
        keys.trust(lapsed, "lapsed", truststore);
        keys.trust(tsa, "tsa", truststore);
        Date whileValid = Date.from(Instant.now().minus(Duration.ofDays(9)));
        String trustedUrl = timeStampingServer(load(tsa), "tsa", whileValid, "/trusted");
        String untrustedUrl = timeStampingServer(load(otherTsa), "othertsa", whileValid, "/untrusted");
        enforce(truststore, "");

        place(keys.signed(bundle("stamped"), lapsed, "lapsed", "-tsa", trustedUrl), "stamped.jar");
        place(keys.signed(bundle("strangestamp"), lapsed, "lapsed", "-tsa", untrustedUrl), "strangestamp.jar");
        place(keys.signed(bundle("unstamped"), lapsed, "lapsed"), "unstamped.jar");

        assertEquals("stamped, x", greeter("stamped").greet("x"), "stamped while its certificate was valid, by a trusted TSA");
        String unstamped = refusal("unstamped.jar");
        assertTrue(unstamped.matches(".*is signed by CN=Lapsed Author, whose certificate expired on \\d{4}-\\d\\d-\\d\\d \\(trust policy: enforce\\).*"),
                unstamped);
        String strange = refusal("strangestamp.jar");
        assertTrue(strange.matches(".*is signed by CN=Lapsed Author, whose certificate expired on \\d{4}-\\d\\d-\\d\\d \\(its time stamp is signed "
                + "by CN=Untrusted TSA, which the trust store does not trust\\).*"), strange);
    }

    /** A CRL of {@code issuer}, signed with {@code key}, revoking one serial number. */
    static byte[] crl(X509Certificate issuer, PrivateKey key, BigInteger serial, Date when, int reason) throws Exception {
        X509v2CRLBuilder crl = new JcaX509v2CRLBuilder(issuer.getSubjectX500Principal(), new Date());
        crl.setNextUpdate(Date.from(Instant.now().plus(Duration.ofDays(7))));
        crl.addCRLEntry(serial, when, reason);
        return crl.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)).getEncoded();
    }

    /**
     * An RFC 3161 time-stamping server on loopback that stamps every request with the given time
     * (a real authority stamps the present; a fixed past time is what lets the test sign "back then").
     */
    String timeStampingServer(KeyStore keystore, String alias, Date time, String path) throws Exception {
        if (timeStamping == null) {
            timeStamping = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            timeStamping.start();
        }
        PrivateKey key = (PrivateKey) keystore.getKey(alias, TestKeys.PASSWORD.toCharArray());
        X509Certificate cert = (X509Certificate) keystore.getCertificate(alias);
        AtomicLong serial = new AtomicLong();
        timeStamping.createContext(path, exchange -> {
            try (exchange) {
                TimeStampRequest request = new TimeStampRequest(exchange.getRequestBody().readAllBytes());
                TimeStampTokenGenerator tokens = new TimeStampTokenGenerator(
                        new JcaSimpleSignerInfoGeneratorBuilder().build("SHA256withECDSA", key, cert),
                        new JcaDigestCalculatorProviderBuilder().build().get(new DefaultDigestAlgorithmIdentifierFinder().find("SHA-256")),
                        new ASN1ObjectIdentifier("1.3.6.1.4.1.55555.1"));
                tokens.addCertificates(new JcaCertStore(List.of(cert)));
                byte[] reply = new TimeStampResponseGenerator(tokens, TSPAlgorithms.ALLOWED)
                        .generate(request, BigInteger.valueOf(serial.incrementAndGet()), time).getEncoded();
                exchange.getResponseHeaders().add("Content-Type", "application/timestamp-reply");
                exchange.sendResponseHeaders(200, reply.length);
                exchange.getResponseBody().write(reply);
            } catch (Exception e) {
                exchange.sendResponseHeaders(500, -1);
            }
        });
        return "http://127.0.0.1:" + timeStamping.getAddress().getPort() + path;
    }
}
