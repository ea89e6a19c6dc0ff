package org.carapace.monitoring.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS for the MQTT connection from PEM files: the broker is verified against the configured CA certificates only
 * (never the JRE's default trust store), and a client certificate is presented when one is configured.
 * Hostname verification is done by Paho (endpoint identification "HTTPS", on by default). Also used by the
 * {@code carapace events subscribe} back end (the CLI runs on the bundle jars' class path).
 */
public final class TlsContexts {

    private static final Pattern PRIVATE_KEY = Pattern.compile(
        "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    private TlsContexts() {
    }

    /**
     * Builds the socket factory.
     *
     * @param caFile PEM certificates of the CAs that may issue the broker's certificate
     * @param certFile PEM client certificate chain, or {@code null}
     * @param keyFile PEM PKCS#8 private key of the client certificate, or {@code null}
     * @throws IOException naming the file that could not be read or used
     */
    public static SSLSocketFactory socketFactory(Path caFile, Path certFile, Path keyFile) throws IOException {
        if ((certFile == null) != (keyFile == null)) {
            throw new IOException("a client certificate needs both clientCertFile and clientKeyFile");
        }
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            Collection<? extends Certificate> cas = certificates(caFile);
            int i = 0;
            for (Certificate ca : cas) {
                trust.setCertificateEntry("ca-" + i++, ca);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = null;
            if (certFile != null) {
                Certificate[] chain = certificates(certFile).toArray(new Certificate[0]);
                PrivateKey key = privateKey(keyFile, chain[0].getPublicKey().getAlgorithm());
                char[] password = new char[0];
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("client", key, password, chain);
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, password);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return context.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    private static Collection<? extends Certificate> certificates(Path file) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certificates.isEmpty()) {
                throw new IOException(file + " holds no PEM certificate");
            }
            return certificates;
        } catch (java.security.cert.CertificateException e) {
            throw new IOException(file + " is not a PEM certificate file: " + e.getMessage(), e);
        }
    }

    private static PrivateKey privateKey(Path file, String algorithm) throws IOException, GeneralSecurityException {
        String pem = Files.readString(file, StandardCharsets.US_ASCII);
        Matcher matcher = PRIVATE_KEY.matcher(pem);
        if (!matcher.find()) {
            throw new IOException(file + " holds no unencrypted PKCS#8 key (BEGIN PRIVATE KEY); convert it with "
                + "'openssl pkcs8 -topk8 -nocrypt'");
        }
        byte[] der = Base64.getMimeDecoder().decode(matcher.group(1));
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } finally {
            Arrays.fill(der, (byte) 0);
        }
    }
}
