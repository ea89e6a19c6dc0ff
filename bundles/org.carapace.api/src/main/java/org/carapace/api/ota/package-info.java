/**
 * Over-the-air bundle updates: what a bundle that can be updated may provide ({@link org.carapace.api.ota.SelfTest}),
 * and the typed refusals of an update package ({@link org.carapace.api.ota.OtaException}). The package format, the
 * installer and its journal are described in {@code docs/ota.md}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.carapace.api.ota;
