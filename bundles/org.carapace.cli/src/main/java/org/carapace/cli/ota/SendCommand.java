package org.carapace.cli.ota;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.carapace.api.monitoring.CommandHandler;
import org.carapace.api.monitoring.EventKeyFile;
import org.carapace.api.monitoring.EventKeyFileException;
import org.carapace.api.monitoring.HmacEventKeys;
import org.carapace.api.monitoring.MonitoringTopics;
import org.carapace.cli.BrokerOptions;
import org.carapace.cli.CliException;
import org.carapace.cli.Output;
import org.carapace.ota.internal.OtaCommand;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code carapace ota command}: the back end tells one vehicle where to fetch a package (docs/ota.md §6). */
@Command(name = "command", mixinStandardHelpOptions = true,
    description = {"Send an authenticated 'ota' command to one device over MQTT (carapace/v1/DEVICE/commands/ota, QoS 1,",
        "not retained): the device fetches the package from --location (which must lie under its configured",
        "commandSources), checks --sha256/--length, and installs it like any package in its inbox. The command is",
        "authenticated with the device's event key (a device key file, or the fleet master key it is derived from).",
        "Follow its progress with 'carapace events subscribe': the OTA events carry the command id."})
final class SendCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Output output;

    @Mixin
    BrokerOptions brokerOptions;

    @Option(names = "--broker", required = true, paramLabel = "URL", description = "tcp://HOST:PORT or ssl://HOST:PORT.")
    String broker;

    @Option(names = "--device", required = true, paramLabel = "ID", description = "The device to command.")
    String device;

    @Option(names = "--key", required = true, paramLabel = "FILE", description = "The device's event key file, or the fleet master key.")
    Path keyFile;

    @Option(names = "--location", required = true, paramLabel = "URL",
        description = "Where the device fetches the package: https://... or http://... (under the device's commandSources)")
    String location;

    @Option(names = "--id", paramLabel = "ID", description = "The command's id ([A-Za-z0-9._-]{1,64}); default: a random one.")
    String id;

    @Option(names = "--package", paramLabel = "FILE",
        description = "A local copy of the package: its SHA-256 and length go into the command.")
    Path packageFile;

    @Option(names = "--sha256", paramLabel = "HEX", description = "The package's SHA-256 (instead of --package).")
    String sha256;

    @Option(names = "--length", paramLabel = "BYTES", description = "The package's length (instead of --package).")
    Long length;

    @Option(names = "--expires", paramLabel = "TIME", defaultValue = "+1h",
        description = "When the command expires: 2027-01-31T00:00:00Z, or +Nm, +Nh, +Nd (default +1h).")
    String expires;




    @Override
    public Integer call() throws Exception {
        brokerOptions.check(broker);
        if (!MonitoringTopics.isName(device)) {
            throw CliException.usage("--device must be a device id, was '" + device + "'");
        }
        if (packageFile != null && (sha256 != null || length != null)) {
            throw CliException.usage("--package computes --sha256 and --length; give one or the other");
        }
        EventKeyFile key;
        try {
            key = EventKeyFile.read(keyFile);
        } catch (EventKeyFileException e) {
            throw CliException.usage("--key: " + e.getMessage());
        }
        byte[] deviceKey;
        if (key.kind() == EventKeyFile.Kind.MASTER) {
            deviceKey = HmacEventKeys.deriveDeviceKey(key.key(), device);
        } else if (device.equals(key.deviceId())) {
            deviceKey = key.key();
        } else {
            throw CliException.usage("--key is the key of device " + key.deviceId() + ", not of " + device);
        }
        if (packageFile != null) {
            sha256 = sha256(packageFile);
            length = Files.size(packageFile);
        }
        OtaCommand command;
        try {
            command = new OtaCommand(id == null ? "c-" + UUID.randomUUID() : id, device, expiry(expires), location,
                Optional.ofNullable(sha256), length == null ? OptionalLong.empty() : OptionalLong.of(length));
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        byte[] message;
        try (HmacEventKeys.Authenticator authenticator = HmacEventKeys.authenticator(deviceKey)) {
            message = authenticator.seal(CommandHandler.PAYLOAD_TYPE, command.write()).toJson();
        }
        String topic = MonitoringTopics.commands(device, "ota");
        MqttConnectOptions options = new MqttConnectOptions();
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setCleanSession(true);
        options.setConnectionTimeout(10);
        brokerOptions.applyTo(options);
        try (MqttClient client = new MqttClient(broker, "carapace-ota-command-" + UUID.randomUUID(), new MemoryPersistence())) {
            client.connect(options);
            client.publish(topic, message, 1, false);
            client.disconnect(1_000);
        } catch (MqttException e) {
            throw new CliException(CliException.USAGE, "cannot publish to " + broker + ": " + e, e);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("kind", "command-sent");
        result.put("topic", topic);
        result.put("id", command.id());
        result.put("location", command.location());
        result.put("expires", command.expires().toString());
        PrintWriter w = spec.commandLine().getOut();
        if (output.json()) {
            Output.printJson(w, result);
        } else {
            w.printf("sent command %s to %s: fetch %s (expires %s)%n", command.id(), topic, command.location(), command.expires());
            w.flush();
        }
        return 0;
    }

    private static Instant expiry(String text) throws CliException {
        try {
            if (text.startsWith("+") && text.length() > 2) {
                long n = Long.parseLong(text.substring(1, text.length() - 1));
                long seconds = switch (text.charAt(text.length() - 1)) {
                    case 'm' -> n * 60;
                    case 'h' -> n * 3600;
                    case 'd' -> n * 86_400;
                    default -> throw CliException.usage("--expires: unit must be m, h or d: " + text);
                };
                return Instant.now().plusSeconds(seconds);
            }
            return Instant.parse(text);
        } catch (NumberFormatException | java.time.format.DateTimeParseException e) {
            throw CliException.usage("--expires must be an RFC 3339 UTC time or +N(m|h|d), was '" + text + "'");
        }
    }

    private static String sha256(Path file) throws CliException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                sha.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw CliException.usage("cannot read --package " + file + ": " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JRE", e);
        }
    }
}
