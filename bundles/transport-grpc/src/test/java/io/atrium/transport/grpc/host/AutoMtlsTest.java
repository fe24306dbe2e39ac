package io.atrium.transport.grpc.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class AutoMtlsTest {
    @Test
    void theCertificateHasTheShapeGoPluginsHostGivesIt() throws Exception {
        AutoMtls tls = AutoMtls.generate();
        String pem = tls.pem();
        assertTrue(pem.startsWith("-----BEGIN CERTIFICATE-----\n") && pem.endsWith("\n-----END CERTIFICATE-----\n"), pem);
        X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        c.verify(c.getPublicKey()); // self-signed, and the signature holds
        c.checkValidity();
        assertEquals("SHA512withECDSA", c.getSigAlgName());
        assertEquals(521, ((ECPublicKey) c.getPublicKey()).getParams().getCurve().getField().getFieldSize());
        assertEquals(List.of(List.of(2, "localhost")), c.getSubjectAlternativeNames().stream().map(n -> List.copyOf(n)).toList());
        assertEquals(List.of("1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1"), c.getExtendedKeyUsage(), "client and server auth");
        assertTrue(c.getBasicConstraints() >= 0, "a CA: go-plugin's plugin puts it in its pool of client CAs");
        assertTrue(c.getKeyUsage()[5], "certificate signing");
        assertTrue(c.getSubjectX500Principal().getName().contains("CN=localhost"));
        assertTrue(!tls.pem().equals(AutoMtls.generate().pem()), "one per launch");
    }

    @Test
    void thePluginsCertificateIsReadFromItsHandshakeOrRefusedInOneLine() throws Exception {
        AutoMtls host = AutoMtls.generate();
        X509Certificate plugin = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                new ByteArrayInputStream(AutoMtls.generate().pem().getBytes(StandardCharsets.US_ASCII)));
        String field6 = Base64.getEncoder().withoutPadding().encodeToString(plugin.getEncoded()); // as go-plugin writes it
        assertNotNull(host.client(field6));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> host.client("bm90IGEgY2VydGlmaWNhdGU")).getMessage()
                .startsWith("sent a certificate in its handshake that is not one ("));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> host.client("%%%")).getMessage()
                .startsWith("sent a certificate in its handshake that is not one ("));
    }
}
