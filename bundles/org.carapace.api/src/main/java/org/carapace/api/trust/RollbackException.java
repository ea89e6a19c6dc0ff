package org.carapace.api.trust;

/**
 * A document's version is not newer than the highest version accepted for its stream. An older version is a
 * rollback ({@link Reason#ROLLBACK}); the same version with other content is a replay ({@link Reason#REPLAY}).
 */
public class RollbackException extends TrustException {
    private static final long serialVersionUID = 1L;

    private final String stream;
    private final long highestAccepted;
    private final long offered;

    /**
     * @param stream the versioned stream, for example {@code base}
     * @param highestAccepted the highest version accepted so far
     * @param offered the version offered, at most {@code highestAccepted}
     */
    public RollbackException(String stream, long highestAccepted, long offered) {
        super(offered == highestAccepted ? Reason.REPLAY : Reason.ROLLBACK, offered == highestAccepted
            ? "stream " + stream + " version " + offered + " was already accepted with other content"
            : "stream " + stream + " offers version " + offered + ", older than the accepted version " + highestAccepted);
        if (offered > highestAccepted) {
            throw new IllegalArgumentException("offered version " + offered + " is newer than " + highestAccepted);
        }
        this.stream = stream;
        this.highestAccepted = highestAccepted;
        this.offered = offered;
    }

    public String stream() {
        return stream;
    }

    public long highestAccepted() {
        return highestAccepted;
    }

    public long offered() {
        return offered;
    }
}
