package org.carapace.api.secoc;

import java.util.Objects;

/**
 * A Secured I-PDU failed verification and was dropped. The subclasses say why; {@link #result()} is the standard
 * result code.
 */
public class VerificationException extends SecOcException {
    private static final long serialVersionUID = 1L;

    private final int dataId;
    private final VerificationResult result;

    public VerificationException(int dataId, VerificationResult result, String message) {
        super(message);
        this.dataId = dataId;
        this.result = Objects.requireNonNull(result, "result");
        if (result.isSuccess()) {
            throw new IllegalArgumentException("a verification exception cannot carry SUCCESS");
        }
    }

    /** The Data ID of the dropped PDU. */
    public int dataId() {
        return dataId;
    }

    /** The standard result code; never {@link VerificationResult#SUCCESS}. */
    public VerificationResult result() {
        return result;
    }
}
