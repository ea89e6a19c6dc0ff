package org.carapace.api.ota;

/** A jar in a package is not the one the signed metadata describes: its hash or its length differs. */
public class ArtifactMismatchException extends OtaException {
    private static final long serialVersionUID = 1L;

    private final String member;
    private final String expected;
    private final String actual;

    /**
     * @param reason {@link Reason#HASH_MISMATCH} or {@link Reason#LENGTH_MISMATCH}
     * @param member the archive member, for example {@code bundles/org.carapace.imagehash.jar}
     * @param expected what the metadata says (hex SHA-256, or a length in bytes)
     * @param actual what the member holds (for a length: at least this many bytes when reading stopped early)
     */
    public ArtifactMismatchException(Reason reason, String member, String expected, String actual) {
        super(reason, member + ": " + (reason == Reason.LENGTH_MISMATCH ? "length " : "sha256 ") + actual
            + " where the signed metadata says " + expected);
        if (reason != Reason.HASH_MISMATCH && reason != Reason.LENGTH_MISMATCH) {
            throw new IllegalArgumentException("an artifact mismatch is a hash or a length mismatch, not " + reason);
        }
        this.member = member;
        this.expected = expected;
        this.actual = actual;
    }

    public String member() {
        return member;
    }

    public String expected() {
        return expected;
    }

    public String actual() {
        return actual;
    }
}
