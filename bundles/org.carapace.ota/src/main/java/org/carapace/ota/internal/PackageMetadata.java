package org.carapace.ota.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.carapace.api.io.Fields;
import org.carapace.api.io.StrictJson;
import org.carapace.api.ota.OtaException;
import org.carapace.api.trust.ExpiredException;
import org.carapace.api.trust.MalformedDocumentException;
import org.carapace.api.trust.WrongDeviceException;
import org.osgi.framework.Version;

/**
 * The signed part of an update package (schema {@code carapace.ota/v1}, payload type {@link #PAYLOAD_TYPE}): what
 * the package is, until when and for which devices it is valid, and for each bundle its identity, the archive member
 * holding its jar, that jar's SHA-256 and length, and its release counter (Uptane's targets metadata, reduced to what
 * a bundle update needs: hashes and length of every image, a per-module release counter, hardware and device ids,
 * expiry). See docs/ota.md.
 *
 * @param name the package's name, for people and reports
 * @param expires after this instant the package is refused (required: freeze attacks, Uptane §5.4.4)
 * @param deviceIds the devices it may be installed on; empty means any device
 * @param hardwareIds the hardware it may be installed on; empty means any hardware
 * @param bundles one entry per bundle, at least one, each symbolic name and member once
 */
public record PackageMetadata(String name, Instant expires, Set<String> deviceIds, Set<String> hardwareIds,
                              List<BundleEntry> bundles) {

    public static final String SCHEMA = "carapace.ota/v1";
    public static final String PAYLOAD_TYPE = "application/vnd.carapace.ota+json";

    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    /** The only member names a package may hold besides {@link PackageArchive#METADATA}. */
    static final Pattern MEMBER = Pattern.compile("bundles/[A-Za-z0-9][A-Za-z0-9._-]{0,200}\\.jar");

    public PackageMetadata {
        Objects.requireNonNull(expires, "expires");
        require(name != null && NAME.matcher(name).matches(), "name must match " + NAME + ": " + name);
        deviceIds = Collections.unmodifiableSet(new LinkedHashSet<>(deviceIds));
        hardwareIds = Collections.unmodifiableSet(new LinkedHashSet<>(hardwareIds));
        deviceIds.forEach(id -> require(ID.matcher(id).matches(), "a device id must match " + ID + ": " + id));
        hardwareIds.forEach(id -> require(ID.matcher(id).matches(), "a hardware id must match " + ID + ": " + id));
        bundles = List.copyOf(bundles);
        require(!bundles.isEmpty(), "a package holds at least one bundle");
        Set<String> names = new HashSet<>();
        Set<String> files = new HashSet<>();
        for (BundleEntry bundle : bundles) {
            require(names.add(bundle.symbolicName()), "bundle " + bundle.symbolicName() + " is listed twice");
            require(files.add(bundle.file()), "member " + bundle.file() + " is listed twice");
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The entry whose jar is this archive member, if any. */
    public java.util.Optional<BundleEntry> byFile(String member) {
        return bundles.stream().filter(b -> b.file().equals(member)).findFirst();
    }

    /**
     * One bundle of a package.
     *
     * @param symbolicName its Bundle-SymbolicName, which must be installed already (updates replace, never add)
     * @param version its Bundle-Version, as in its manifest
     * @param file the archive member holding the jar ({@code bundles/<name>.jar})
     * @param sha256 lowercase hex SHA-256 of the jar
     * @param length the jar's length in bytes
     * @param releaseCounter must exceed the counter installed for this bundle (anti-rollback), 1 ... 2^53-1
     */
    public record BundleEntry(String symbolicName, String version, String file, String sha256, long length, long releaseCounter) {
        public BundleEntry {
            require(symbolicName != null && symbolicName.matches("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*") && symbolicName.length() <= 255,
                "symbolicName is not a bundle symbolic name: " + symbolicName);
            Objects.requireNonNull(version, "version");
            Version.parseVersion(version); // IllegalArgumentException names what is wrong
            require(file != null && MEMBER.matcher(file).matches(), "file must match " + MEMBER + ": " + file);
            require(sha256 != null && SHA256.matcher(sha256).matches(), "sha256 must be 64 lowercase hex characters");
            require(length > 0, "length must be positive");
            require(releaseCounter >= 1 && releaseCounter <= MAX_SAFE, "releaseCounter must be between 1 and 2^53-1");
        }
    }

    static final long MAX_SAFE = (1L << 53) - 1;

    /**
     * Checks expiry (at {@code now}, one timestamp per installation), the device binding and the hardware binding.
     *
     * @param hardwareId this device's hardware id; empty when it has none configured (then a package bound to hardware
     *                   is refused)
     */
    public void requireApplicable(Instant now, String deviceId, String hardwareId) throws OtaException {
        requireNotExpired(now);
        requireDevice(deviceId);
        requireHardware(hardwareId);
    }

    /** Refuses the package from its expiry on (freeze attacks). */
    public void requireNotExpired(Instant now) throws OtaException {
        if (!now.isBefore(expires)) {
            throw new OtaException(OtaException.Reason.EXPIRED, "package " + name + " expired at " + expires + " (now " + now + ")",
                new ExpiredException("OTA package " + name, expires, now));
        }
    }

    /** Refuses a package bound to other devices. */
    public void requireDevice(String deviceId) throws OtaException {
        if (!deviceIds.isEmpty() && !deviceIds.contains(deviceId)) {
            throw new OtaException(OtaException.Reason.WRONG_DEVICE, "package " + name + " is bound to " + deviceIds.size()
                + " device(s), not to this device '" + deviceId + "'", new WrongDeviceException(deviceId, deviceIds));
        }
    }

    /** Refuses a package bound to other hardware ({@code hardwareId} empty: this device has none configured). */
    public void requireHardware(String hardwareId) throws OtaException {
        if (!hardwareIds.isEmpty() && !hardwareIds.contains(hardwareId)) {
            throw new OtaException(OtaException.Reason.WRONG_HARDWARE, "package " + name + " is for hardware " + hardwareIds
                + ", this device is '" + hardwareId + "'");
        }
    }

    /** Parses and checks the schema; nothing in it is trusted unless the bytes came out of a verified envelope. */
    public static PackageMetadata parse(byte[] payload, PackageLimits limits) throws MalformedDocumentException {
        ObjectNode node = new StrictJson(limits.maxMetadataBytes(), 6).parseObject(payload, "OTA metadata");
        Fields top = Fields.of("OTA metadata", node);
        String schema = top.string("schema");
        if (!SCHEMA.equals(schema)) {
            throw top.error("schema", "unsupported schema '" + Fields.abbreviate(schema) + "', expected " + SCHEMA);
        }
        String name = top.string("name");
        Instant expires = top.optionalInstant("expires").orElseThrow(() -> top.error("expires", "is required"));
        List<String> devices = top.strings("deviceIds", false, limits.maxBindings());
        List<String> hardware = top.strings("hardwareIds", false, limits.maxBindings());
        List<BundleEntry> bundles = new ArrayList<>();
        for (Fields b : top.objects("bundles", true, limits.maxBundles())) {
            try {
                bundles.add(new BundleEntry(b.string("symbolicName"), b.string("version"), b.string("file"), b.string("sha256"),
                    b.integer("length", 1, limits.maxBundleBytes()), b.integer("releaseCounter", 1, MAX_SAFE)));
            } catch (IllegalArgumentException e) {
                throw b.error(e.getMessage());
            }
            b.end();
        }
        top.end();
        try {
            return new PackageMetadata(name, expires, new LinkedHashSet<>(devices), new LinkedHashSet<>(hardware), bundles);
        } catch (IllegalArgumentException e) {
            throw top.error(e.getMessage());
        }
    }

    /** The metadata as indented JSON with a final newline: the exact bytes that get signed. */
    public byte[] write() {
        ObjectNode top = StrictJson.object();
        top.put("schema", SCHEMA);
        top.put("name", name);
        top.put("expires", expires.toString());
        if (!deviceIds.isEmpty()) {
            ArrayNode devices = top.putArray("deviceIds");
            deviceIds.forEach(devices::add);
        }
        if (!hardwareIds.isEmpty()) {
            ArrayNode hardware = top.putArray("hardwareIds");
            hardwareIds.forEach(hardware::add);
        }
        ArrayNode list = top.putArray("bundles");
        for (BundleEntry bundle : bundles) {
            ObjectNode b = list.addObject();
            b.put("symbolicName", bundle.symbolicName());
            b.put("version", bundle.version());
            b.put("file", bundle.file());
            b.put("sha256", bundle.sha256());
            b.put("length", bundle.length());
            b.put("releaseCounter", bundle.releaseCounter());
        }
        return StrictJson.write(top);
    }
}
