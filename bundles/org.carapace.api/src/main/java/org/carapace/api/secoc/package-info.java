/**
 * SecOC-style authenticated messaging (AUTOSAR SWS SecureOnboardCommunication, PRS SecOcProtocol).
 *
 * <p>Codec-independent types: the verification result codes of {@code SecOC_VerificationResultType}
 * ({@link org.carapace.api.secoc.VerificationResult}), the per-Data-ID {@link org.carapace.api.secoc.SecuredChannel}
 * service and the transports built on it ({@link org.carapace.api.secoc.SecuredEndpoint},
 * {@link org.carapace.api.secoc.SecuredMessageListener}), the {@link org.carapace.api.secoc.Authenticator} SPI
 * that lets an HSM-backed provider replace the software one, the {@link org.carapace.api.secoc.FreshnessManager}
 * SPI, and the named profile presets ({@link org.carapace.api.secoc.SecOcProfile}). The Secured I-PDU layout and
 * the rules behind these types are specified in {@code docs/secoc.md}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.carapace.api.secoc;
