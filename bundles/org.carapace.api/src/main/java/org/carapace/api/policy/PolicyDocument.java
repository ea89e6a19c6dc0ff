package org.carapace.api.policy;

import java.time.Instant;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * One policy document, the payload of a signed envelope (schema {@value #SCHEMA}, see {@code docs/policy.md}).
 *
 * <p>A {@link PolicyKind#BASE base} document is the stream {@value #BASE_STREAM} and may carry revocations and
 * exemptions. An {@link PolicyKind#ADDITIONAL additional} document lives in a stream of its own name and carries
 * images only.
 *
 * @param kind base or additional
 * @param stream {@value #BASE_STREAM} for the base; otherwise 1-64 characters {@code [a-z0-9][a-z0-9._-]*}
 * @param version 1 to 2^53-1; each stream's versions only ever increase
 * @param expires the document is not in force from this instant on; empty for no expiry
 * @param deviceIds the devices the document is for; empty for every device; copied
 * @param images allowed images, each rootfs digest at most once; copied
 * @param revocations base only: digests that never run; copied
 * @param exemptions base only: the platform's own containers the gate lets through; names unique; copied
 */
public record PolicyDocument(PolicyKind kind, String stream, long version, Optional<Instant> expires,
                             Set<String> deviceIds, List<ImageRule> images, List<Revocation> revocations,
                             List<Exemption> exemptions) {

    /** The schema identifier of this model. */
    public static final String SCHEMA = "carapace.policy/v1";

    /** The base policy's stream name. */
    public static final String BASE_STREAM = "base";

    /** Largest version: integers above 2^53 do not survive every JSON implementation. */
    public static final long MAX_VERSION = (1L << 53) - 1;

    public PolicyDocument {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(stream, "stream");
        if (kind == PolicyKind.BASE && !BASE_STREAM.equals(stream)) {
            throw new IllegalArgumentException("a base policy's stream is '" + BASE_STREAM + "', was " + Checks.quote(stream));
        }
        if (kind == PolicyKind.ADDITIONAL && (BASE_STREAM.equals(stream) || !Checks.STREAM.matcher(stream).matches())) {
            throw new IllegalArgumentException("an additional policy's stream must match " + Checks.STREAM.pattern()
                + " and not be '" + BASE_STREAM + "', was " + Checks.quote(stream));
        }
        if (version < 1 || version > MAX_VERSION) {
            throw new IllegalArgumentException("version must be between 1 and " + MAX_VERSION + ", was " + version);
        }
        Objects.requireNonNull(expires, "expires");
        Set<String> devices = new TreeSet<>();
        for (String device : Objects.requireNonNull(deviceIds, "deviceIds")) {
            if (device == null || !Checks.DEVICE_ID.matcher(device).matches()) {
                throw new IllegalArgumentException("device id must match " + Checks.DEVICE_ID.pattern() + ", was " + Checks.quote(device));
            }
            devices.add(device);
        }
        deviceIds = Collections.unmodifiableSet(devices);
        images = List.copyOf(images);
        revocations = List.copyOf(revocations);
        exemptions = List.copyOf(exemptions);
        if (kind == PolicyKind.ADDITIONAL && (!revocations.isEmpty() || !exemptions.isEmpty())) {
            throw new IllegalArgumentException("an additional policy may carry images only, not revocations or exemptions");
        }
        Set<String> digests = new HashSet<>();
        for (ImageRule image : images) {
            if (!digests.add(image.rootfsDigest())) {
                throw new IllegalArgumentException("image rootfs digest " + image.rootfsDigest() + " is listed twice");
            }
        }
        Set<String> names = new HashSet<>();
        for (Exemption exemption : exemptions) {
            if (!names.add(exemption.name())) {
                throw new IllegalArgumentException("exemption name " + Checks.quote(exemption.name()) + " is used twice");
            }
        }
    }

    /** Whether this document may be used on a device: unbound, or bound to it among others. */
    public boolean boundTo(String deviceId) {
        return deviceIds.isEmpty() || deviceIds.contains(deviceId);
    }

    /** Whether the document has expired at {@code now}. */
    public boolean expiredAt(Instant now) {
        return expires.isPresent() && !now.isBefore(expires.get());
    }

    /** A short label for messages: {@code base v7} or {@code additional nav v3}. */
    public String label() {
        return kind == PolicyKind.BASE ? "base v" + version : "additional " + stream + " v" + version;
    }
}
