/**
 * Security events: the one path by which every Carapace bundle reports what it saw.
 *
 * <p>Bundles post events on OSGi EventAdmin under {@link org.carapace.api.events.SecurityEvent#TOPIC_ROOT}
 * ({@code org/carapace/security/<category>/<TYPE>}); the monitoring bundle is their only consumer that speaks to
 * the back end. The catalogue of event types, with ids in the OEM range of AUTOSAR IdsM (0x8000–0xFFFE), is
 * {@link org.carapace.api.events.SecurityEventType}. See {@code docs/events.md}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package org.carapace.api.events;
