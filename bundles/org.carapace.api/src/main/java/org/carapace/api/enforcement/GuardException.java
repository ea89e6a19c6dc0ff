package org.carapace.api.enforcement;

/** A {@link ContainerGuard} could not protect a container; the gate refuses its creation. */
public class GuardException extends Exception {
    private static final long serialVersionUID = 1L;

    public GuardException(String message) {
        super(message);
    }

    public GuardException(String message, Throwable cause) {
        super(message, cause);
    }
}
