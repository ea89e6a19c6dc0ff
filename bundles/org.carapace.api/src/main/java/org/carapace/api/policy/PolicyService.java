package org.carapace.api.policy;

import java.io.IOException;
import org.carapace.api.trust.TrustException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The device's policy store: the effective policy for readers, installation of signed documents for writers.
 *
 * <p>Registered while the store is configured, also when it is empty or the device has no trust root (then the
 * snapshot is empty: nothing is allowed). Thread-safe. {@link #snapshot()} is cheap and lock-free and may be called
 * once per decision; installations are serialised.
 *
 * <p>Every change of the effective policy is posted (asynchronously) on EventAdmin under {@link #TOPIC_CHANGED},
 * with the properties {@link #PROP_STREAM}, {@link #PROP_OLD_VERSION}, {@link #PROP_NEW_VERSION},
 * {@link #PROP_GENERATION}, {@link #PROP_IMAGE_COUNT} and {@link #PROP_CAUSE}. Installations and refusals are also
 * reported as security events ({@code POLICY_INSTALLED}, {@code POLICY_REJECTED}, {@code POLICY_LOAD_FAILED}).
 */
@ProviderType
public interface PolicyService {

    /** EventAdmin topic of a change of the effective policy. */
    String TOPIC_CHANGED = "org/carapace/policy/CHANGED";
    /** Event property: the stream that changed (String). */
    String PROP_STREAM = "stream";
    /** Event property: its version in force before, 0 for none (Long). */
    String PROP_OLD_VERSION = "old.version";
    /** Event property: its version in force now, 0 for none (Long). */
    String PROP_NEW_VERSION = "new.version";
    /** Event property: the generation of the new snapshot (Long). */
    String PROP_GENERATION = "generation";
    /** Event property: the number of images of the new effective policy (Integer). */
    String PROP_IMAGE_COUNT = "image.count";
    /** Event property: why: {@code install}, {@code load}, {@code expired} or {@code root-changed} (String). */
    String PROP_CAUSE = "cause";

    /**
     * The effective policy now. Never {@code null}. Documents that expired since the last change are dropped
     * before the snapshot is returned (checked against the store's clock on every call).
     */
    PolicySnapshot snapshot();

    /** The store's state, streams, counters and last refusal. */
    PolicyStatus status();

    /**
     * Verifies a signed policy envelope and, if it is acceptable, makes it the version in force of its stream.
     *
     * <p>Checks, in this order: size and JSON strictness of the envelope; the payload type names a policy kind;
     * signatures meet the kind's role threshold; the payload parses (limits, schema); device binding; expiry; the
     * version is newer than the stream's highest accepted version (the identical document is accepted as a no-op);
     * an additional policy neither revokes, exempts, nor allows a revoked digest; the stream limit. Then the envelope
     * is written atomically (and a second copy), the rollback counter is advanced, and only then does the new
     * snapshot take effect.
     *
     * @param envelopeJson the DSSE envelope, exactly as signed and shipped
     * @return what changed
     * @throws TrustException when the document is refused; nothing changed
     * @throws IOException when it could not be stored; nothing changed
     */
    PolicyChange install(byte[] envelopeJson) throws TrustException, IOException;
}
