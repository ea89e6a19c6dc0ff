/**
 * Running-container protection: what a container the gate has allowed may execute, write and open.
 *
 * <p>The {@code org.carapace.protection} bundle enforces {@link org.carapace.api.protection.ProtectionRules} with
 * Linux fanotify permission events and read-only mounts in the container's mount namespace; the rules for a
 * container come from a {@link org.carapace.api.protection.ProtectionRulesProvider} (the policy store) or from the
 * bundle's configuration. See {@code docs/protection.md}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.carapace.api.protection;
