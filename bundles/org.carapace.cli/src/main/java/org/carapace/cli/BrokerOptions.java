package org.carapace.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.carapace.monitoring.internal.TlsContexts;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import picocli.CommandLine.Option;

/**
 * How a back-end command reaches the MQTT broker, shared by every command that speaks MQTT: the broker is verified
 * against {@code --cafile} only, a client certificate and MQTT credentials are optional.
 */
public final class BrokerOptions {

    @Option(names = "--cafile", paramLabel = "FILE", description = "PEM CA certificates to verify an ssl:// broker.")
    Path caFile;

    @Option(names = "--cert", paramLabel = "FILE", description = "PEM client certificate (with --cert-key).")
    Path certFile;

    @Option(names = "--cert-key", paramLabel = "FILE", description = "PEM PKCS#8 key of the client certificate.")
    Path certKeyFile;

    @Option(names = "--username", paramLabel = "NAME", description = "MQTT user name.")
    String username;

    @Option(names = "--password-file", paramLabel = "FILE", description = "File holding the MQTT password.")
    Path passwordFile;

    /** Refuses what cannot work: a URL other than tcp:// or ssl://, ssl:// without --cafile, half a client certificate. */
    public void check(String broker) throws CliException {
        if (!broker.startsWith("tcp://") && !broker.startsWith("ssl://")) {
            throw CliException.usage("--broker must be tcp://HOST:PORT or ssl://HOST:PORT, was '" + broker + "'");
        }
        if (broker.startsWith("ssl://") && caFile == null) {
            throw CliException.usage("an ssl:// broker needs --cafile (the broker is verified against it only)");
        }
        if ((certFile == null) != (certKeyFile == null)) {
            throw CliException.usage("--cert and --cert-key go together");
        }
    }

    /** Puts the credentials and, with --cafile, the verifying TLS socket factory on Paho's connect options. */
    public void applyTo(MqttConnectOptions options) throws CliException, IOException {
        if (username != null) {
            options.setUserName(username);
        }
        if (passwordFile != null) {
            options.setPassword(Files.readString(passwordFile, StandardCharsets.UTF_8).strip().toCharArray());
        }
        if (caFile != null) {
            try {
                options.setSocketFactory(TlsContexts.socketFactory(caFile.toAbsolutePath(),
                    certFile == null ? null : certFile.toAbsolutePath(), certKeyFile == null ? null : certKeyFile.toAbsolutePath()));
            } catch (IOException e) {
                throw CliException.usage(e.getMessage());
            }
            options.setHttpsHostnameVerificationEnabled(true);
        }
    }
}
