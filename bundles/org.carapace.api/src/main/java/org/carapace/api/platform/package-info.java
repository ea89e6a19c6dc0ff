/**
 * Identity and file-system locations of a running Carapace platform.
 *
 * <p>Provided by the {@code org.carapace.platform} bundle from its required configuration; every other bundle
 * derives its state and socket locations from {@link org.carapace.api.platform.PlatformInfo} unless its own
 * configuration names them explicitly.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.carapace.api.platform;
