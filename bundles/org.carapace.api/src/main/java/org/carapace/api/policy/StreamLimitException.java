package org.carapace.api.policy;

import org.carapace.api.trust.TrustException;

/** A new additional stream would exceed the configured number of streams the store keeps. */
public class StreamLimitException extends TrustException {
    private static final long serialVersionUID = 1L;

    private final int limit;

    public StreamLimitException(String stream, int limit) {
        super(Reason.LIMIT_EXCEEDED, "new stream " + stream + " exceeds the limit of " + limit + " streams");
        this.limit = limit;
    }

    public int limit() {
        return limit;
    }
}
