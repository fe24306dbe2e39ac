package io.atrium.core.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import jdk.security.jarsigner.JarSigner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A jar's signatures judged as the framework will load the jar: real keys made by keytool, real
 * signatures by the JDK's JarSigner, and jars changed after signing the way an attacker would.
 */
class BundleSignatureTest {
    private static final String PASSWORD = "secret1";
    @TempDir
    static Path work;
    static KeyStore.PrivateKeyEntry author;
    static KeyStore.PrivateKeyEntry stranger;
    static SignerTrust trust;

    @BeforeAll
    static void keys() throws Exception {
        author = key("author", "Trusted Author");
        stranger = key("stranger", "Someone Else");
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        anchors.setCertificateEntry("author", author.getCertificate());
        trust = new SignerTrust(anchors, List.of());
    }

    static KeyStore.PrivateKeyEntry key(String alias, String cn) throws Exception {
        Path ks = work.resolve(alias + ".p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair", "-alias", alias,
                "-keyalg", "EC", "-dname", "CN=" + cn, "-validity", "30", "-keystore", ks.toString(), "-storetype", "PKCS12",
                "-storepass", PASSWORD).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keytool did not end");
        assertEquals(0, p.exitValue(), out);
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(ks)) {
            store.load(in, PASSWORD.toCharArray());
        }
        return (KeyStore.PrivateKeyEntry) store.getEntry(alias, new KeyStore.PasswordProtection(PASSWORD.toCharArray()));
    }

    /** A small bundle: a manifest (Multi-Release, so Felix also reads META-INF/versions/), a class and a resource. */
    static byte[] bundle() throws IOException {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", "t.signed");
        a.putValue("Bundle-Version", "1.0.0");
        a.putValue("Multi-Release", "true");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(out, m)) {
            jar.putNextEntry(new JarEntry("t/"));
            jar.putNextEntry(new JarEntry("t/A.class"));
            jar.write(new byte[] {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE, 1, 2, 3});
            jar.putNextEntry(new JarEntry("t/readme.txt"));
            jar.write("what the author wrote".getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    static byte[] sign(byte[] jar, KeyStore.PrivateKeyEntry key, String name) throws Exception {
        Path in = Files.write(Files.createTempFile(work, "unsigned", ".jar"), jar);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        java.security.cert.CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(List.of(key.getCertificateChain()));
        try (ZipFile zip = new ZipFile(in.toFile())) {
            new JarSigner.Builder((PrivateKey) key.getPrivateKey(), path).signerName(name).build().sign(zip, out);
        }
        return out.toByteArray();
    }

    static java.util.Map<String, byte[]> entries(byte[] jar) throws IOException {
        java.util.Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new java.io.ByteArrayInputStream(jar))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                entries.put(e.getName(), in.readAllBytes());
            }
        }
        return entries;
    }

    static byte[] zip(java.util.Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (var e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
            }
        }
        return out.toByteArray();
    }

    /**
     * The author's signed jar with one more entry that only the stranger signed, as an attacker merges it:
     * the stranger signs a jar of that entry alone under the author's main manifest section, and its
     * manifest section and signature files join the author's. Each signature still holds for what it covers.
     */
    static byte[] merged(String authorName, String strangerName, String entry, byte[] data) throws Exception {
        java.util.Map<String, byte[]> theirs = entries(sign(bundle(), author, authorName));
        String manifest = new String(theirs.get("META-INF/MANIFEST.MF"), StandardCharsets.UTF_8);
        String main = manifest.substring(0, manifest.indexOf("\r\n\r\n") + 4);
        java.util.Map<String, byte[]> alone = new java.util.LinkedHashMap<>();
        alone.put("META-INF/MANIFEST.MF", main.getBytes(StandardCharsets.UTF_8));
        alone.put(entry, data);
        java.util.Map<String, byte[]> mine = entries(sign(zip(alone), stranger, strangerName));
        String mineManifest = new String(mine.get("META-INF/MANIFEST.MF"), StandardCharsets.UTF_8);
        java.util.Map<String, byte[]> out = new java.util.LinkedHashMap<>();
        out.put("META-INF/MANIFEST.MF", (manifest + mineManifest.substring(main.length())).getBytes(StandardCharsets.UTF_8));
        for (boolean signatures : new boolean[] {true, false}) { // the signature files first, as jarsigner writes them
            for (var source : List.of(theirs, mine)) {
                source.forEach((name, bytes) -> {
                    if (!name.equals("META-INF/MANIFEST.MF") && BundleSignature.isSignatureFile(name) == signatures) {
                        out.put(name, bytes);
                    }
                });
            }
        }
        return zip(out);
    }

    static final byte[] EVIL = {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE, 6, 6, 6};

    @Test
    void aJarSignedByATrustedKeyIsTrustedAndOneByAnotherKeyIsNot() throws Exception {
        BundleSignature good = BundleSignature.check(sign(bundle(), author, "AUTHOR"), trust);
        assertNull(good.problem());
        assertEquals("CN=Trusted Author", good.signer());
        assertEquals("is signed by CN=Someone Else, which the trust store does not trust",
                BundleSignature.check(sign(bundle(), stranger, "STRANGER"), trust).problem());
    }

    @Test
    void anEntryOnlyTheCentralDirectoryListsIsCheckedAsTheFrameworkWillLoadIt() throws Exception {
        // JarInputStream stops at the bytes before the hidden entry; ZipFile, and so Felix, loads it
        byte[] jar = ZipSurgery.append(sign(bundle(), author, "AUTHOR"), "t/Evil.class", EVIL, true);
        assertEquals("is only partly signed: 1 of 3 entries are not, e.g. t/Evil.class", BundleSignature.check(jar, trust).problem());
    }

    @Test
    void aSecondManifestOrOneNamedInOtherLettersIsNoSignatureFile() throws Exception {
        byte[] signed = sign(bundle(), author, "AUTHOR");
        byte[] evil = "Manifest-Version: 1.0\r\nBundle-ManifestVersion: 2\r\nBundle-SymbolicName: t.signed\r\nBundle-Activator: t.Evil\r\n\r\n"
                .getBytes(StandardCharsets.UTF_8);
        assertEquals("holds the entry META-INF/MANIFEST.MF twice; which of the two the framework would read cannot be told",
                BundleSignature.check(ZipSurgery.append(signed, "META-INF/MANIFEST.MF", evil, false), trust).problem());
        assertEquals("holds two manifests, META-INF/MANIFEST.MF and META-INF/manifest.mf; which of the two is signed cannot be told",
                BundleSignature.check(ZipSurgery.append(signed, "META-INF/manifest.mf", evil, false), trust).problem());
        assertEquals("is only partly signed: 1 of 3 entries are not, e.g. META-INF/maven/pom.xml",
                BundleSignature.check(ZipSurgery.append(signed, "META-INF/maven/pom.xml", evil, false), trust).problem());
    }

    @Test
    void aJarSignedByATrustedAndAnUntrustedKeyIsTrustedWhicheverComesFirst() throws Exception {
        List<String> verdicts = new ArrayList<>();
        for (String[] names : new String[][] {{"AAA", "ZZZ"}, {"ZZZ", "AAA"}}) { // the order of the signature files
            byte[] authorFirst = sign(sign(bundle(), author, names[0]), stranger, names[1]);
            byte[] strangerFirst = sign(sign(bundle(), stranger, names[0]), author, names[1]);
            for (byte[] jar : List.of(authorFirst, strangerFirst)) {
                BundleSignature s = BundleSignature.check(jar, trust);
                verdicts.add(s.signer() + " " + s.problem());
            }
        }
        String trusted = "CN=Trusted Author null";
        assertEquals(List.of(trusted, trusted, trusted, trusted), verdicts);
    }

    @Test
    void anEntrySignedOnlyByAnUntrustedKeyIsRefusedBesideOnesATrustedKeySigned() throws Exception {
        // a class for Java 17 that only the stranger signed, beside the author's entries (which the stranger did not sign)
        List<String> problems = new ArrayList<>();
        for (String[] names : new String[][] {{"AAA", "ZZZ"}, {"ZZZ", "AAA"}}) { // the order of the signature files
            byte[] jar = merged(names[0], names[1], "META-INF/versions/17/t/A.class", EVIL);
            problems.add(BundleSignature.check(jar, trust).problem());
        }
        String why = "is only partly signed by a trusted key: 1 of 3 entries are not, e.g. META-INF/versions/17/t/A.class"
                + " (it is signed by CN=Someone Else, which the trust store does not trust)";
        assertEquals(List.of(why, why), problems);
    }

    @Test
    void theSignatureFilesAreKnownByTheirExactNames() {
        for (String name : List.of("META-INF/MANIFEST.MF", "META-INF/A.SF", "META-INF/A.RSA", "META-INF/A.DSA", "META-INF/A.EC", "META-INF/SIG-A")) {
            assertTrue(BundleSignature.isSignatureFile(name), name);
        }
        for (String name : List.of("META-INF/manifest.mf", "META-INF/a.sf", "META-INF/x/A.SF", "META-INF/versions/17/A.SF", "A.SF",
                "META-INF/A.SF.txt", "meta-inf/A.SF")) {
            assertTrue(!BundleSignature.isSignatureFile(name), name);
        }
    }
}
