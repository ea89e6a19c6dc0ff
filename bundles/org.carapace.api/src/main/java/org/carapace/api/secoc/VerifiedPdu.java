package org.carapace.api.secoc;

/**
 * Where the authentic PDU of a verified Secured I-PDU lies, filled in by
 * {@link SecuredChannel#verify(byte[], int, int, VerifiedPdu)}. A mutable holder so that the receive path allocates
 * nothing: a receiver keeps one per thread and reuses it. Its fields are meaningful only after a call that returned
 * {@link VerificationResult#SUCCESS}; after any other result they are reset (offset and length 0).
 */
public final class VerifiedPdu {

    private int authenticOffset;
    private int authenticLength;
    private long freshnessValue;
    private int keyIndex;

    /** Offset of the authentic PDU in the array that was verified. */
    public int authenticOffset() {
        return authenticOffset;
    }

    /** Length of the authentic PDU in bytes. */
    public int authenticLength() {
        return authenticLength;
    }

    /** The complete freshness value that verified (unsigned). */
    public long freshnessValue() {
        return freshnessValue;
    }

    /** Which key verified: 0 the current key, 1 the previous key during a rotation. */
    public int keyIndex() {
        return keyIndex;
    }

    /** Copies the authentic PDU out of {@code secured}. */
    public byte[] copyAuthentic(byte[] secured) {
        byte[] copy = new byte[authenticLength];
        System.arraycopy(secured, authenticOffset, copy, 0, authenticLength);
        return copy;
    }

    /** Sets every field; called by the channel. */
    public void set(int offset, int length, long freshness, int key) {
        this.authenticOffset = offset;
        this.authenticLength = length;
        this.freshnessValue = freshness;
        this.keyIndex = key;
    }

    /** Clears every field; called by the channel before it reports a failure. */
    public void clear() {
        set(0, 0, 0, 0);
    }

    @Override
    public String toString() {
        return "VerifiedPdu[offset=" + authenticOffset + ", length=" + authenticLength + ", fv=" + Long.toUnsignedString(freshnessValue)
            + ", key=" + keyIndex + "]";
    }
}
