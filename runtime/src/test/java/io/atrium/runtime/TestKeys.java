package io.atrium.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Real keys, certificates and signed jars, made with the JDK's keytool and jarsigner in a scratch folder. */
final class TestKeys {
    static final Path JDK_BIN = Path.of(System.getProperty("java.home"), "bin");
    static final String PASSWORD = "secret1";
    private final Path work;

    TestKeys(Path work) {
        this.work = work;
    }

    /** Runs a JDK tool; it must succeed. */
    String run(String tool, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(JDK_BIN.resolve(tool).toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), tool + " did not end");
        assertEquals(0, p.exitValue(), tool + " " + cmd + " failed:\n" + out);
        return out;
    }

    /** A signing key of its own keystore {@code ALIAS.p12}, its certificate valid from {@code start} for {@code days}. */
    Path key(String alias, String cn, String start, int days, String... extensions) throws Exception {
        Path ks = work.resolve(alias + ".p12");
        List<String> args = new ArrayList<>(List.of("-genkeypair", "-alias", alias, "-keyalg", "EC", "-dname", "CN=" + cn,
                "-validity", Integer.toString(days), "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD));
        if (start != null) {
            args.addAll(List.of("-startdate", start));
        }
        for (String ext : extensions) {
            args.addAll(List.of("-ext", ext));
        }
        run("keytool", args.toArray(String[]::new));
        return ks;
    }

    /** @return the certificate of the key {@code alias} of {@code keystore}, exported to {@code ALIAS.cer} */
    Path certificate(Path keystore, String alias) throws Exception {
        Path cert = work.resolve(alias + ".cer");
        run("keytool", "-exportcert", "-rfc", "-alias", alias, "-keystore", keystore.toString(), "-storepass", PASSWORD, "-file", cert.toString());
        return cert;
    }

    /** Adds the certificate of the key {@code alias} of {@code keystore} to the trust store (password trustpass). */
    void trust(Path keystore, String alias, Path truststore) throws Exception {
        run("keytool", "-importcert", "-noprompt", "-alias", alias, "-file", certificate(keystore, alias).toString(),
                "-keystore", truststore.toString(), "-storetype", "PKCS12", "-storepass", "trustpass");
    }

    /**
     * Has the key {@code alias} (its own keystore) certified by the certificate authority {@code ca}
     * (its keystore, its certificate given).
     *
     * @param chainTail the certificates to put after the new one in the key's chain (normally the CA's)
     * @return a JKS keystore holding the key with that chain (JKS keeps a chain as given; PKCS12 rebuilds it)
     */
    Path certify(String alias, Path keystore, String caAlias, Path ca, int days, java.security.cert.Certificate... chainTail)
            throws Exception {
        Path request = work.resolve(alias + ".csr");
        Path reply = work.resolve(alias + "-by-" + caAlias + ".cer");
        run("keytool", "-certreq", "-alias", alias, "-keystore", keystore.toString(), "-storepass", PASSWORD, "-file", request.toString());
        run("keytool", "-gencert", "-rfc", "-alias", caAlias, "-keystore", ca.toString(), "-storepass", PASSWORD, "-validity",
                Integer.toString(days), "-infile", request.toString(), "-outfile", reply.toString());
        java.security.cert.Certificate issued;
        try (var in = java.nio.file.Files.newInputStream(reply)) {
            issued = java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        java.security.cert.Certificate[] chain = new java.security.cert.Certificate[chainTail.length + 1];
        chain[0] = issued;
        System.arraycopy(chainTail, 0, chain, 1, chainTail.length);
        java.security.KeyStore jks = java.security.KeyStore.getInstance("JKS");
        jks.load(null, null);
        jks.setKeyEntry(alias, load(keystore).getKey(alias, PASSWORD.toCharArray()), PASSWORD.toCharArray(), chain);
        Path out = work.resolve(alias + ".jks");
        try (var o = java.nio.file.Files.newOutputStream(out)) {
            jks.store(o, PASSWORD.toCharArray());
        }
        return out;
    }

    /** @return the PKCS12 keystore, opened with the tests' password */
    static java.security.KeyStore load(Path p12) throws Exception {
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(p12)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        return ks;
    }

    /** @return a copy of the jar signed with the key {@code alias}, by jarsigner, with its extra options (e.g. -tsa URL) */
    Path signed(Path jar, Path keystore, String alias, String... options) throws Exception {
        Path out = work.resolve("signed-" + alias + "-" + jar.getFileName());
        List<String> args = new ArrayList<>(List.of("-keystore", keystore.toString(), "-storepass", PASSWORD, "-signedjar", out.toString()));
        args.addAll(List.of(options));
        args.addAll(List.of(jar.toString(), alias));
        run("jarsigner", args.toArray(String[]::new));
        return out;
    }
}
