package org.carapace.api.secoc;

import java.util.Set;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Computes and checks MACs with keys it holds, so that callers never touch key material: the software provider in
 * {@code org.carapace.secoc} reads a keystore file; an HSM-backed provider registers the same service and keeps
 * its keys inside the HSM. Channels pick a provider with the {@code authenticator.target} filter of their
 * configuration, typically on {@link #PROVIDER}.
 *
 * <p>Mirrors the AUTOSAR Crypto Service Manager calls SecOC makes ({@code Csm_MacGenerate},
 * {@code Csm_MacVerify}): the data to authenticate is handed over in one piece, and verification compares a
 * truncated MAC given in bits.
 *
 * <p>Implementations are thread-safe; the {@link MacSession}s they open are not.
 */
@ConsumerType
public interface Authenticator {

    /** Service property: the provider's name, for example {@code software} or {@code hsm}. */
    String PROVIDER = "secoc.authenticator";

    /** The algorithms this provider supports. */
    Set<MacAlgorithm> algorithms();

    /** Whether a key with this id is usable for this algorithm now. Never throws for unknown ids. */
    boolean hasKey(MacAlgorithm algorithm, String keyId);

    /**
     * Opens a session bound to one key, ready to compute MACs without further set-up (key schedules and subkeys
     * derived once). Close it to wipe what it derived.
     *
     * @throws KeyUnavailableException if there is no such key, or it does not fit the algorithm
     */
    MacSession open(MacAlgorithm algorithm, String keyId) throws KeyUnavailableException;
}
