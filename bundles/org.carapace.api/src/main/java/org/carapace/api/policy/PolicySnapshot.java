package org.carapace.api.policy;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The effective policy at one moment: base ∪ additions − revocations, with the base policy's exemptions. Immutable
 * and thread-safe; a change produces a new snapshot with a higher {@link #generation()}, so a caller that takes one
 * snapshot per decision sees one consistent policy.
 *
 * <p>An empty snapshot (no document in force) allows nothing and exempts nothing: the gate fails closed.
 *
 * <p>Precedence: an image revoked by the base (by rootfs or manifest digest) is never in the effective policy. When
 * several documents list the same rootfs digest, the base wins, then additional streams in ascending name order.
 */
@ProviderType
public interface PolicySnapshot {

    /** Increases with every change of the effective policy within one runtime; 0 for the initial empty one. */
    long generation();

    /** When this snapshot was computed. */
    Instant createdAt();

    /** Whether no document is in force: then nothing is allowed and nothing exempt. */
    boolean isEmpty();

    /** Version in force per stream ({@code base} and each additional stream with a document in force). */
    Map<String, Long> versions();

    /** The earliest expiry among the documents in force, if any expires. */
    Optional<Instant> expires();

    /**
     * The allowed image with this rootfs digest ({@code sha256:<hex>}). O(1).
     *
     * @return empty when the digest is unknown or revoked
     */
    Optional<AllowedImage> lookup(String rootfsDigest);

    /** Whether the base policy revokes this digest (rootfs or manifest). O(1). */
    boolean isRevoked(String digest);

    /** Every allowed image, base first, then additional streams by name. */
    Collection<AllowedImage> images();

    /** The number of allowed images. */
    int imageCount();

    /** The revoked digests. */
    Set<String> revocations();

    /** The exemptions of the base policy in force, in document order. */
    List<Exemption> exemptions();

    /** The first exemption (in document order) that matches the container, if any. */
    Optional<Exemption> exemptionFor(ContainerContext container);
}
