/**
 * Trust anchors and signed envelopes: who may sign what, and the one place where signatures are checked.
 *
 * <p>A {@link org.carapace.api.trust.TrustRoot} (TUF/Uptane style) names the public keys of the device's signers
 * and, for each {@link org.carapace.api.trust.Role}, which keys may sign for it and how many of them must
 * (k-of-n, counted over distinct {@link org.carapace.api.trust.KeyId}s). Documents travel in DSSE-style
 * {@link org.carapace.api.trust.Envelope}s: the signature covers the pre-authentication encoding of the exact
 * payload bytes and its type, never re-serialised JSON.
 *
 * <p>{@link org.carapace.api.trust.TrustService} verifies an envelope for a role and returns the verified payload
 * bytes; every bundle that accepts signed input (policy store, OTA, event authentication) uses it instead of its
 * own crypto code. Every refusal is a typed {@link org.carapace.api.trust.TrustException} carrying a
 * {@link org.carapace.api.trust.TrustException.Reason}. See {@code docs/policy.md}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.carapace.api.trust;
