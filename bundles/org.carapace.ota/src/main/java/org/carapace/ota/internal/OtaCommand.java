package org.carapace.ota.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import org.carapace.api.io.Fields;
import org.carapace.api.io.StrictJson;
import org.carapace.api.monitoring.CommandHandler;
import org.carapace.api.ota.OtaException;
import org.carapace.api.ota.OtaException.Reason;
import org.carapace.api.trust.MalformedDocumentException;

/**
 * An {@code ota} command from the back end (docs/ota.md §6): where to fetch one package. It grants nothing: the
 * package it points to is verified like any other (signatures, counters, bindings); the command only names a location,
 * optionally pinned by SHA-256 and length, under an id the reports carry.
 *
 * <pre>{@code {"schema":"carapace.ota.command/v1","id":"c-42","device":"dev-vehicle-0001","expires":"2026-12-05T00:00:00Z",
 *  "location":"https://updates.example/ota/imagehash-0.2.1.ota","sha256":"<64 hex>","length":254048}}</pre>
 *
 * @param id the back end's id of the command, {@code [A-Za-z0-9._-]{1,64}}; reports carry it as {@code command}
 * @param device the device the command is for
 * @param expires from this instant the command is refused (a captured command cannot be replayed later)
 * @param location {@code https://} or {@code http://} location of the package
 * @param sha256 the package's SHA-256 in lowercase hex, if the back end pins it
 * @param length the package's length in bytes, if the back end pins it
 */
public record OtaCommand(String id, String device, Instant expires, String location, Optional<String> sha256, OptionalLong length) {

    public static final String SCHEMA = "carapace.ota.command/v1";
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final int MAX_LOCATION = 2048;

    public OtaCommand {
        require(id != null && ID.matcher(id).matches(), "id must match " + ID);
        require(device != null && !device.isEmpty(), "device is required");
        require(expires != null, "expires is required");
        require(location != null && !location.isEmpty() && location.length() <= MAX_LOCATION,
            "location must have 1 to " + MAX_LOCATION + " characters");
        require(sha256.isEmpty() || SHA256.matcher(sha256.get()).matches(), "sha256 must be 64 lowercase hex characters");
        require(length.isEmpty() || length.getAsLong() > 0, "length must be positive");
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * Parses an authenticated command's payload.
     *
     * @throws MalformedDocumentException when it is not JSON or not the schema (unknown fields, {@code null}s and
     *                                    duplicate keys are refused)
     */
    public static OtaCommand parse(byte[] payload) throws MalformedDocumentException {
        ObjectNode node = new StrictJson(CommandHandler.MAX_MESSAGE_BYTES, 3).parseObject(payload, "OTA command");
        Fields top = Fields.of("OTA command", node);
        String schema = top.string("schema");
        if (!SCHEMA.equals(schema)) {
            throw top.error("schema", "unsupported schema '" + Fields.abbreviate(schema) + "', expected " + SCHEMA);
        }
        String id = top.string("id");
        String device = top.string("device");
        Instant expires = top.optionalInstant("expires").orElseThrow(() -> top.error("expires", "is required"));
        String location = top.string("location");
        Optional<String> sha256 = top.optionalString("sha256");
        Optional<Long> length = top.optionalInteger("length", 1, Long.MAX_VALUE);
        top.end();
        try {
            return new OtaCommand(id, device, expires, location, sha256,
                length.isPresent() ? OptionalLong.of(length.get()) : OptionalLong.empty());
        } catch (IllegalArgumentException e) {
            throw top.error(e.getMessage());
        }
    }

    /** The command as compact JSON: the payload the back end authenticates ({@code carapace ota command}). */
    public byte[] write() {
        ObjectNode top = StrictJson.object();
        top.put("schema", SCHEMA);
        top.put("id", id);
        top.put("device", device);
        top.put("expires", expires.toString());
        top.put("location", location);
        sha256.ifPresent(sha -> top.put("sha256", sha));
        length.ifPresent(n -> top.put("length", n));
        byte[] json = StrictJson.writeCompact(top);
        return java.util.Arrays.copyOf(json, json.length - 1); // without the final newline
    }

    /** The id of a payload that could not be parsed, if it has a usable one: so the report can still name the command. */
    static Optional<String> idOf(byte[] payload) {
        try {
            ObjectNode node = new StrictJson(CommandHandler.MAX_MESSAGE_BYTES, 3).parseObject(payload, "OTA command");
            String id = node.path("id").asText("");
            return ID.matcher(id).matches() ? Optional.of(id) : Optional.empty();
        } catch (MalformedDocumentException e) {
            return Optional.empty();
        }
    }

    /**
     * Refuses a command for another device ({@code WRONG_DEVICE}), one that has expired at {@code now}
     * ({@code EXPIRED}), or one that expires more than {@code maxLifetime} after {@code now} ({@code MALFORMED}: a
     * command valid for longer would stay replayable for longer).
     */
    void requireApplicable(String deviceId, Instant now, java.time.Duration maxLifetime) throws OtaException {
        if (!device.equals(deviceId)) {
            throw new OtaException(Reason.WRONG_DEVICE, "command " + id + " is for device '" + device + "', this is '" + deviceId + "'");
        }
        if (!now.isBefore(expires)) {
            throw new OtaException(Reason.EXPIRED, "command " + id + " expired at " + expires + " (now " + now + ")");
        }
        if (expires.isAfter(now.plus(maxLifetime))) {
            throw new OtaException(Reason.MALFORMED, "command " + id + " expires at " + expires + ", more than the longest command "
                + "lifetime (maxCommandLifetimeMillis " + maxLifetime.toMillis() + " ms) after now (" + now + ")");
        }
    }

    /** The file name the fetched package gets in the inbox: the installer reports it with this command's id. */
    String inboxName() {
        return Installer.COMMAND_PREFIX + id + Installer.SUFFIX;
    }
}
