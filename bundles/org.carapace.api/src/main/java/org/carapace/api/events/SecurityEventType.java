package org.carapace.api.events;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The catalogue of security events Carapace reports.
 *
 * <p>Each type has a stable event definition id in the IdsM OEM range (0x8000–0xFFFE), a category that forms the
 * middle of its EventAdmin topic and of its MQTT topic, and a default severity that configuration may override.
 * Ids are never reused: a retired type keeps its number.
 */
public enum SecurityEventType {
    // container gate (OCI createRuntime hook)
    GATE_ALLOWED(0x8001, "gate", Severity.INFO),
    GATE_REFUSED(0x8002, "gate", Severity.HIGH),
    GATE_AUDIT_VIOLATION(0x8003, "gate", Severity.MEDIUM),
    GATE_EXEMPTED(0x8004, "gate", Severity.INFO),
    GATE_ERROR(0x8005, "gate", Severity.HIGH),
    // images at rest
    IMAGE_TAMPERED(0x8010, "image", Severity.HIGH),
    IMAGE_SCAN_COMPLETED(0x8011, "image", Severity.INFO),
    /** A stored image that no policy in force allows (at-rest scan). */
    IMAGE_UNKNOWN(0x8012, "image", Severity.MEDIUM),
    /** A stored image the policy revokes (at-rest scan). */
    IMAGE_REVOKED(0x8013, "image", Severity.HIGH),
    // policy store and trust anchors
    POLICY_INSTALLED(0x8020, "policy", Severity.INFO),
    POLICY_REJECTED(0x8021, "policy", Severity.HIGH),
    POLICY_LOAD_FAILED(0x8022, "policy", Severity.CRITICAL),
    TRUST_ROOT_ROTATED(0x8023, "policy", Severity.MEDIUM),
    // SecOC authenticated messaging
    SECOC_VERIFICATION_FAILED(0x8030, "secoc", Severity.HIGH),
    SECOC_FRESHNESS_FAILED(0x8031, "secoc", Severity.HIGH),
    SECOC_KEY_ROTATED(0x8032, "secoc", Severity.INFO),
    // running-container protection (fanotify)
    EXEC_DENIED(0x8040, "protection", Severity.HIGH),
    WRITE_DENIED(0x8041, "protection", Severity.HIGH),
    ASSOCIATED_OPEN_DENIED(0x8042, "protection", Severity.HIGH),
    PROTECTION_DEGRADED(0x8043, "protection", Severity.CRITICAL),
    PROTECTION_AUDIT(0x8044, "protection", Severity.MEDIUM),
    // over-the-air bundle updates
    OTA_STATUS(0x8050, "ota", Severity.INFO),
    OTA_REJECTED(0x8051, "ota", Severity.HIGH),
    OTA_ROLLED_BACK(0x8052, "ota", Severity.MEDIUM),
    // monitoring itself
    EVENTS_DROPPED(0x8060, "monitoring", Severity.MEDIUM),
    // platform lifecycle
    PLATFORM_STARTED(0x8070, "platform", Severity.INFO),
    PLATFORM_STOPPING(0x8071, "platform", Severity.INFO),
    /** The runtime came back after a crash, a kill or its watchdog: the gap left containers unprotected. */
    PLATFORM_RESTARTED(0x8072, "platform", Severity.HIGH);

    private static final Map<Integer, SecurityEventType> BY_ID = new HashMap<>();

    static {
        for (SecurityEventType type : values()) {
            if (BY_ID.put(type.id, type) != null) {
                throw new ExceptionInInitializerError("duplicate security event id " + type.id);
            }
        }
    }

    private final int id;
    private final String category;
    private final Severity defaultSeverity;

    SecurityEventType(int id, String category, Severity defaultSeverity) {
        this.id = id;
        this.category = category;
        this.defaultSeverity = defaultSeverity;
    }

    /** The IdsM event definition id (16 bit, OEM range). */
    public int id() {
        return id;
    }

    /** The category: the middle part of the EventAdmin topic and the last part of the MQTT topic. */
    public String category() {
        return category;
    }

    public Severity defaultSeverity() {
        return defaultSeverity;
    }

    /** The EventAdmin topic, {@code org/carapace/security/<category>/<NAME>}. */
    public String topic() {
        return SecurityEvent.TOPIC_ROOT + "/" + category + "/" + name();
    }

    /** The type with this event definition id, if any. */
    public static Optional<SecurityEventType> byId(int id) {
        return Optional.ofNullable(BY_ID.get(id));
    }
}
