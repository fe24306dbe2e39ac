package io.atrium.transport.grpc.host;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.security.Signature;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * go-plugin's AutoMTLS, host side: a throw-away certificate for one launch, of the shape go-plugin's host
 * makes (ECDSA P-521, self-signed, {@code localhost}, client and server use), handed to the plugin as PEM
 * in {@code PLUGIN_CLIENT_CERT}; the plugin answers with a certificate of its own in its handshake, and
 * the channel then trusts that certificate alone, and shows this one.
 *
 * <p>The JDK has no public API to make a certificate: Bouncy Castle's ASN.1 classes make its body, and
 * the JDK's own key generator and signature sign it (its certificate builder would bring its whole
 * provider, 10 MB, into this bundle; its ASN.1 packages alone are what travels).
 */
public final class AutoMtls {
    /** As go-plugin's: thirty years, from thirty seconds ago (clocks of host and plugin are one here). */
    private static final Duration VALID = Duration.ofHours(262_980);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeyPair keys;
    private final X509Certificate certificate;

    private AutoMtls(KeyPair keys, X509Certificate certificate) {
        this.keys = keys;
        this.certificate = certificate;
    }

    /** @return a new key pair and its certificate */
    public static AutoMtls generate() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp521r1"), RANDOM);
            KeyPair keys = g.generateKeyPair();
            X500Name name = new X500Name("CN=localhost,O=Atrium");
            Instant now = Instant.now();
            V3TBSCertificateGenerator tbs = new V3TBSCertificateGenerator();
            tbs.setSerialNumber(new ASN1Integer(new BigInteger(128, RANDOM)));
            tbs.setIssuer(name);
            tbs.setSubject(name);
            tbs.setStartDate(new Time(Date.from(now.minusSeconds(30))));
            tbs.setEndDate(new Time(Date.from(now.plus(VALID))));
            tbs.setSubjectPublicKeyInfo(SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()));
            AlgorithmIdentifier sha512WithEcdsa = new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA512);
            tbs.setSignature(sha512WithEcdsa);
            ExtensionsGenerator e = new ExtensionsGenerator();
            e.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            e.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment
                    | KeyUsage.keyAgreement | KeyUsage.keyCertSign));
            e.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth,
                    KeyPurposeId.id_kp_serverAuth}));
            e.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.dNSName, "localhost")));
            tbs.setExtensions(e.generate());
            TBSCertificate body = tbs.generateTBSCertificate();
            Signature signer = Signature.getInstance("SHA512withECDSA"); // the JDK's: no provider travels in this bundle
            signer.initSign(keys.getPrivate(), RANDOM);
            signer.update(body.getEncoded(ASN1Encoding.DER));
            byte[] der = new DERSequence(new ASN1Encodable[] {body, sha512WithEcdsa, new DERBitString(signer.sign())}).getEncoded(ASN1Encoding.DER);
            return new AutoMtls(keys, certificate(der));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("no certificate for mutual TLS could be made: " + e.getMessage(), e);
        }
    }

    /** @return the certificate as PEM, what {@code PLUGIN_CLIENT_CERT} holds */
    public String pem() {
        try {
            return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(certificate.getEncoded()) + "\n-----END CERTIFICATE-----\n";
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * @param handshakeCertificate the plugin's certificate as its handshake gives it (DER, base64 without padding)
     * @return TLS for the channel: this certificate shown, the plugin's alone trusted
     * @throws IllegalArgumentException when the plugin's is not a certificate
     */
    public SslContext client(String handshakeCertificate) {
        X509Certificate server;
        try {
            server = certificate(Base64.getDecoder().decode(handshakeCertificate));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IllegalArgumentException("sent a certificate in its handshake that is not one (" + e.getMessage() + ")");
        }
        try {
            server.checkValidity();
            return GrpcSslContexts.configure(io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder.forClient(), SslProvider.JDK)
                    .keyManager(keys.getPrivate(), certificate).trustManager(server).protocols("TLSv1.3", "TLSv1.2").build();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("sent a certificate in its handshake that is not valid now (" + e.getMessage() + ")");
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("sent a certificate in its handshake that TLS cannot use (" + e.getMessage() + ")");
        }
    }

    private static X509Certificate certificate(byte[] der) throws java.security.cert.CertificateException {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }
}
