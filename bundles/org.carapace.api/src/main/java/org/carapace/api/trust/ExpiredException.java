package org.carapace.api.trust;

import java.time.Instant;

/** A document, or the root that would verify it, has expired (freeze attack protection, Uptane §5.4.4). */
public class ExpiredException extends TrustException {
    private static final long serialVersionUID = 1L;

    private final String document;
    private final Instant expires;
    private final Instant now;

    /**
     * @param document what expired, for example {@code policy stream base v7} or {@code trust root v2}
     * @param expires its expiry
     * @param now the time of the check
     */
    public ExpiredException(String document, Instant expires, Instant now) {
        super(Reason.EXPIRED, document + " expired at " + expires + " (now " + now + ")");
        this.document = document;
        this.expires = expires;
        this.now = now;
    }

    public String document() {
        return document;
    }

    public Instant expires() {
        return expires;
    }

    public Instant now() {
        return now;
    }
}
