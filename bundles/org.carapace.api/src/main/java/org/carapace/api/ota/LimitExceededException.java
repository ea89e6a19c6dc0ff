package org.carapace.api.ota;

/** An archive, its metadata or a jar is larger than the configured limit; it was read no further than the limit. */
public class LimitExceededException extends OtaException {
    private static final long serialVersionUID = 1L;

    private final String what;
    private final long limit;

    /**
     * @param what what was too large, for example {@code archive} or {@code bundles/x.jar}
     * @param limit the configured limit in bytes (or entries)
     */
    public LimitExceededException(String what, long limit) {
        super(Reason.TOO_LARGE, what + " exceeds the limit of " + limit);
        this.what = what;
        this.limit = limit;
    }

    public String what() {
        return what;
    }

    public long limit() {
        return limit;
    }
}
