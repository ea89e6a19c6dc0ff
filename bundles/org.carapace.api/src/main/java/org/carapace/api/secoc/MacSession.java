package org.carapace.api.secoc;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * One key of an {@link Authenticator}, ready for use on the hot path. Not thread-safe: a channel holds one per
 * direction and uses it under its lock. Neither method allocates once the session is open.
 */
@ConsumerType
public interface MacSession extends AutoCloseable {

    MacAlgorithm algorithm();

    /** The id of the key this session uses. Never the key itself. */
    String keyId();

    /**
     * Computes the complete MAC ({@link MacAlgorithm#macLength()} bits) over {@code data[offset, offset+length)}
     * into {@code mac[macOffset ...]}.
     *
     * @throws IllegalStateException if the session was closed (its key retired)
     */
    void generate(byte[] data, int offset, int length, byte[] mac, int macOffset);

    /**
     * Checks a truncated MAC: computes the MAC over the data and compares its {@code macBits} most significant bits
     * with {@code expected[expectedOffset ...]} (most significant bit first; bits past {@code macBits} in the last
     * byte are ignored), in time independent of where they differ.
     *
     * @return whether they are equal; {@code false} after {@link #close()}
     */
    boolean verify(byte[] data, int offset, int length, byte[] expected, int expectedOffset, int macBits);

    /** Wipes the key schedule and anything else derived from the key. Idempotent. */
    @Override
    void close();
}
