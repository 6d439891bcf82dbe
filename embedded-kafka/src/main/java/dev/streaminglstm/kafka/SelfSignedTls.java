package dev.streaminglstm.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A fresh TLS identity for a broker on this machine: a new EC key pair and a self-signed certificate for
 * {@code localhost} and {@code 127.0.0.1}, made by the JDK's {@code keytool} in a PKCS12 key store, and the
 * certificate alone in a PEM file, which clients trust ({@code ssl.truststore.type=PEM}). Nothing of it is kept
 * anywhere but in the folder given; every call makes a new key.
 *
 * @param keyStore         the PKCS12 key store with the key and certificate (alias {@value #ALIAS})
 * @param keyStorePassword its password, which is also the key's
 * @param certificatePem   the certificate in PEM form, to trust
 */
public record SelfSignedTls(Path keyStore, String keyStorePassword, Path certificatePem) {

    /** Alias of the key and certificate in the key store. */
    public static final String ALIAS = "broker";

    private static final String PASSWORD_VARIABLE = "SELF_SIGNED_TLS_STORE_PASSWORD";

    /** Makes a key pair and its certificate, valid for two days, into {@code dir} (created if need be). */
    public static SelfSignedTls generate(Path dir) {
        try {
            Files.createDirectories(dir);
            Path keyStore = dir.resolve("broker-keystore.p12");
            String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
            runKeytool(password, "-genkeypair", "-alias", ALIAS, "-keyalg", "EC", "-groupname", "secp256r1",
                    "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
                    "-storetype", "PKCS12", "-keystore", keyStore.toString(),
                    "-storepass:env", PASSWORD_VARIABLE, "-keypass:env", PASSWORD_VARIABLE);
            Path pem = Files.writeString(dir.resolve("broker-certificate.pem"),
                    pem(certificate(keyStore, password)), StandardCharsets.US_ASCII);
            return new SelfSignedTls(keyStore, password, pem);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a TLS key and certificate in " + dir + ": " + e, e);
        }
    }

    /** Names the files; leaves the password out. */
    @Override
    public String toString() {
        return "SelfSignedTls[keyStore=" + keyStore + ", certificatePem=" + certificatePem + "]";
    }

    private static void runKeytool(String password, String... args) throws IOException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = new ArrayList<>(List.of(keytool.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put(PASSWORD_VARIABLE, password); // not on the command line, where ps shows it
        Process process = builder.start();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException("keytool failed: " + output.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while keytool ran", e);
        } finally {
            process.destroy();
        }
    }

    private static Certificate certificate(Path keyStore, String password) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            store.load(in, password.toCharArray());
        }
        return store.getCertificate(ALIAS);
    }

    private static String pem(Certificate certificate) throws GeneralSecurityException {
        Base64.Encoder base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        return "-----BEGIN CERTIFICATE-----\n" + base64.encodeToString(certificate.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
    }
}
