package org.carapace.api.trust;

import java.util.Arrays;
import java.util.Objects;

/**
 * One signature of an {@link Envelope}.
 *
 * @param keyId the key that claims to have signed; it only counts once verified against that key
 * @param signature the raw signature bytes (64 bytes for Ed25519, DER for ECDSA); copied in and out
 */
public record EnvelopeSignature(KeyId keyId, byte[] signature) {

    public EnvelopeSignature {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(signature, "signature");
        signature = signature.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof EnvelopeSignature that && keyId.equals(that.keyId) && Arrays.equals(signature, that.signature);
    }

    @Override
    public int hashCode() {
        return 31 * keyId.hashCode() + Arrays.hashCode(signature);
    }

    @Override
    public String toString() {
        return "EnvelopeSignature[" + keyId.shortForm() + ", " + signature.length + " bytes]";
    }
}
