package org.carapace.api.secoc;

/** Base of every checked SecOC failure. Messages name the channel or key involved, never secret material. */
public class SecOcException extends Exception {
    private static final long serialVersionUID = 1L;

    public SecOcException(String message) {
        super(message);
    }

    public SecOcException(String message, Throwable cause) {
        super(message, cause);
    }
}
