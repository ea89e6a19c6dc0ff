/**
 * The signed whitelist of images allowed to run on this device, and its effective, immutable view.
 *
 * <p>A {@link org.carapace.api.policy.PolicyDocument} is either the <em>base</em> policy (images, revocations,
 * exemptions; signed by the {@code base-policy} role) or an <em>additional</em> policy (images only; signed by the
 * {@code additional-policy} role). Each document belongs to a versioned stream; the device keeps the newest
 * accepted version of each. The effective policy is base ∪ additions − revocations, published as a
 * {@link org.carapace.api.policy.PolicySnapshot} by the {@link org.carapace.api.policy.PolicyService}. Every change
 * is posted on EventAdmin under {@link org.carapace.api.policy.PolicyService#TOPIC_CHANGED}.
 *
 * <p>The JSON schema (version {@code carapace.policy/v1}), the envelope and store layout are specified in
 * {@code docs/policy.md}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.carapace.api.policy;
