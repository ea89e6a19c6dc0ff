/**
 * The container gate: the decision taken when an OCI runtime creates a container, and the whiteboard through which
 * other bundles protect a container the gate has allowed.
 *
 * <p>The {@code org.carapace.enforcement} bundle serves the OCI {@code createRuntime} hook
 * ({@code carapace-oci-hook}) on a root-only Unix socket; see {@code docs/gate-protocol.md}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.carapace.api.enforcement;
