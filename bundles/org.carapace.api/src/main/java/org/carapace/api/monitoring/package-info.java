/**
 * The security-event wire format shared by the device, the back end and dashboards.
 *
 * <p>The monitoring bundle turns each {@link org.carapace.api.events.SecurityEvent} into a
 * {@link org.carapace.api.monitoring.QualifiedEvent} (event model version {@value
 * org.carapace.api.monitoring.QualifiedEvent#MODEL_VERSION}), encodes it as JSON with {@link
 * org.carapace.api.monitoring.EventCodec}, authenticates the exact bytes in an {@link
 * org.carapace.api.monitoring.EventEnvelope} and publishes it under {@link org.carapace.api.monitoring.MonitoringTopics}.
 * A back end verifies the envelope with an {@link org.carapace.api.monitoring.EventVerifier} and classifies the
 * sequence number with a {@link org.carapace.api.monitoring.SequenceTracker}. The optional binary AUTOSAR IdsM
 * frames are {@link org.carapace.api.monitoring.IdsmFrame}. Commands from the back end travel the other way,
 * authenticated with the same device key, to {@link org.carapace.api.monitoring.CommandHandler} services (1.1.0).
 * The full specification is {@code docs/events.md}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.carapace.api.monitoring;
