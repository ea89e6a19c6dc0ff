package org.carapace.api.monitoring;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.Set;

/**
 * A file holding an event-authentication key, as the device and the back end read it:
 *
 * <pre>{@code {"format":"carapace-event-key/v1","kind":"device","scheme":"hmac-sha256",
 *  "device":"dev-vehicle-0001","key":"<base64 of 32 bytes>","dev":false}}</pre>
 *
 * <p>{@code kind} is {@code device} (the key of one device: what a device holds, and what a back end may hold for
 * one device) or {@code master} (the fleet master key from which {@link HmacEventKeys#deriveDeviceKey} derives each
 * device's key: back end only, no {@code device} member). {@code dev} marks a development key that a runtime
 * generated for itself; production profiles refuse it. The file must not be readable by group or others.
 *
 * @param kind device or master
 * @param deviceId the device of a device key; {@code null} for a master key
 * @param key the key bytes (copied in and out)
 * @param dev whether this is a generated development key
 */
public record EventKeyFile(Kind kind, String deviceId, byte[] key, boolean dev) {

    /** The {@code format} member. */
    public static final String FORMAT = "carapace-event-key/v1";

    /** What a key file holds. */
    public enum Kind {
        /** One device's key. */
        DEVICE,
        /** A fleet master key that derives device keys. */
        MASTER
    }

    public EventKeyFile {
        Objects.requireNonNull(kind, "kind");
        if (kind == Kind.DEVICE && !MonitoringTopics.isName(deviceId)) {
            throw new IllegalArgumentException("a device key names its device, was '" + deviceId + "'");
        }
        if (kind == Kind.MASTER && deviceId != null) {
            throw new IllegalArgumentException("a master key names no device");
        }
        key = Objects.requireNonNull(key, "key").clone();
        if (key.length != HmacEventKeys.KEY_BYTES) {
            throw new IllegalArgumentException("key must have " + HmacEventKeys.KEY_BYTES + " bytes, had " + key.length);
        }
    }

    /** A new random device key. */
    public static EventKeyFile generateDeviceKey(String deviceId, boolean dev) {
        byte[] key = new byte[HmacEventKeys.KEY_BYTES];
        new SecureRandom().nextBytes(key);
        try {
            return new EventKeyFile(Kind.DEVICE, deviceId, key, dev);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /** A new random fleet master key. */
    public static EventKeyFile generateMasterKey() {
        byte[] key = new byte[HmacEventKeys.KEY_BYTES];
        new SecureRandom().nextBytes(key);
        try {
            return new EventKeyFile(Kind.MASTER, null, key, false);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    @Override
    public byte[] key() {
        return key.clone();
    }

    /** The key's public id ({@link HmacEventKeys#keyId}). */
    public String keyId() {
        return HmacEventKeys.keyId(key);
    }

    /** A verifier for events authenticated with this key (device key) or a key it derives (master key). */
    public EventVerifier verifier() {
        return kind == Kind.DEVICE ? HmacEventKeys.deviceVerifier(deviceId, key) : HmacEventKeys.masterVerifier(key);
    }

    /**
     * Reads a key file.
     *
     * @throws EventKeyFileException when it is missing, unreadable, readable by group or others, or malformed
     */
    public static EventKeyFile read(Path path) throws EventKeyFileException {
        byte[] json;
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(path);
            if (mode.stream().anyMatch(p -> p.name().startsWith("GROUP_") || p.name().startsWith("OTHERS_"))) {
                throw new EventKeyFileException(path, "is accessible to group or others ("
                    + PosixFilePermissions.toString(mode) + "); a key file must be mode 0600 or stricter");
            }
            if (Files.size(path) > 4096) {
                throw new EventKeyFileException(path, "is too large to be a key file");
            }
            json = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new EventKeyFileException(path, "does not exist", e);
        } catch (IOException e) {
            throw new EventKeyFileException(path, "cannot be read: " + e.getMessage(), e);
        }
        try {
            return fromJson(json);
        } catch (MalformedEventException e) {
            throw new EventKeyFileException(path, "is not an event key file: " + e.getMessage(), e);
        } finally {
            Arrays.fill(json, (byte) 0);
        }
    }

    /** Parses the JSON form. */
    public static EventKeyFile fromJson(byte[] json) throws MalformedEventException {
        String format = null;
        String kind = null;
        String scheme = null;
        String device = null;
        byte[] key = null;
        boolean dev = false;
        try (JsonParser parser = Json.parser("key file", json)) {
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String member = parser.currentName();
                parser.nextToken();
                switch (member) {
                    case "format" -> format = Json.text(parser, member);
                    case "kind" -> kind = Json.text(parser, member);
                    case "scheme" -> scheme = Json.text(parser, member);
                    case "device" -> device = Json.text(parser, member);
                    case "key" -> key = Json.base64(parser, member);
                    case "dev" -> dev = Json.bool(parser, member);
                    default -> parser.skipChildren();
                }
            }
            Json.requireEnd("key file", parser);
        } catch (IOException e) {
            throw new MalformedEventException("key file", "not valid JSON: " + e.getMessage(), e);
        }
        if (!FORMAT.equals(format)) {
            throw new MalformedEventException("format", "must be " + FORMAT + ", was " + format);
        }
        if (!HmacEventKeys.SCHEME.equals(scheme)) {
            throw new MalformedEventException("scheme", "must be " + HmacEventKeys.SCHEME + ", was " + scheme);
        }
        if (key == null) {
            throw new MalformedEventException("key", "is missing");
        }
        try {
            Kind k = "device".equals(kind) ? Kind.DEVICE : "master".equals(kind) ? Kind.MASTER : null;
            if (k == null) {
                throw new MalformedEventException("kind", "must be device or master, was " + kind);
            }
            return new EventKeyFile(k, device, key, dev);
        } catch (IllegalArgumentException e) {
            throw new MalformedEventException("key file", e.getMessage(), e);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /** The JSON form. */
    public byte[] toJson() {
        return Json.write(256, out -> {
            out.writeStartObject();
            out.writeStringField("format", FORMAT);
            out.writeStringField("kind", kind == Kind.DEVICE ? "device" : "master");
            out.writeStringField("scheme", HmacEventKeys.SCHEME);
            if (deviceId != null) {
                out.writeStringField("device", deviceId);
            }
            out.writeStringField("key", Base64.getEncoder().encodeToString(key));
            out.writeBooleanField("dev", dev);
            out.writeEndObject();
        });
    }

    /**
     * Writes the key to a new file, mode 0600, durably: a temporary file is written, flushed to disk and renamed, so a
     * crash leaves either no file or the whole key.
     *
     * @throws IOException when the file exists already or cannot be written
     */
    public void write(Path path) throws IOException {
        if (Files.exists(path)) {
            throw new java.nio.file.FileAlreadyExistsException(path.toString());
        }
        Path dir = path.toAbsolutePath().getParent();
        Path temp = Files.createTempFile(dir, ".key-", ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        byte[] json = toJson();
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                channel.write(java.nio.ByteBuffer.wrap(json));
                channel.force(true);
            }
            try {
                Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, path);
            }
            try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
                directory.force(true);
            }
        } finally {
            Arrays.fill(json, (byte) 0);
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EventKeyFile f && f.kind == kind && Objects.equals(f.deviceId, deviceId)
            && java.security.MessageDigest.isEqual(f.key, key) && f.dev == dev;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, deviceId, dev);
    }

    @Override
    public String toString() {
        return "EventKeyFile[" + kind + (deviceId == null ? "" : " " + deviceId) + " " + keyId() + (dev ? " dev" : "") + "]";
    }
}
