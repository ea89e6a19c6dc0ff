package org.carapace.api.trust;

/** A new root's version is not exactly the current root's version plus one (TUF §5.3.5). */
public class RootVersionException extends TrustException {
    private static final long serialVersionUID = 1L;

    private final long current;
    private final long offered;

    public RootVersionException(long current, long offered) {
        super(Reason.ROOT_VERSION, "a new root must have version " + (current + 1) + ", offered " + offered);
        this.current = current;
        this.offered = offered;
    }

    public long current() {
        return current;
    }

    public long offered() {
        return offered;
    }
}
