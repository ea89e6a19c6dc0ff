package org.carapace.api.monitoring;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code hmac-sha256} authentication scheme of Carapace events, in the manner of AUTOSAR SecOC: a MAC with a
 * per-device key over data that carries its own freshness value.
 *
 * <ul>
 *   <li>Authenticator: {@code HMAC-SHA-256(K_device, PAE(payloadType, payload))}, all 32 bytes (no truncation: the
 *       MQTT link is not bandwidth-starved like a CAN bus). The payload holds the device id and the sequence number,
 *       so the MAC binds the data to its device and its freshness value (the sequence number), as SecOC's MAC binds
 *       the Data ID, the PDU and the freshness value.</li>
 *   <li>Device key: 32 random bytes, or derived from a fleet master key:
 *       {@code K_device = HMAC-SHA-256(K_master, "carapace/event-auth/v1" || 0x00 || UTF-8(deviceId))} (a one-block
 *       KDF in the manner of NIST SP 800-108). A back end then holds one master key; each device holds only its own
 *       key, so a device's key forges only that device's events.</li>
 *   <li>Key id: {@code "hmac-sha256:" + hex(SHA-256("carapace/event-key-id/v1" || 0x00 || key))[0..16]}, which
 *       identifies the key without revealing it.</li>
 * </ul>
 */
public final class HmacEventKeys {

    /** Scheme name, the prefix of every key id of this scheme. */
    public static final String SCHEME = "hmac-sha256";
    /** Length of keys and of authenticators. */
    public static final int KEY_BYTES = 32;

    private static final String ALGORITHM = "HmacSHA256";
    private static final byte[] DERIVATION_LABEL = "carapace/event-auth/v1\0".getBytes(StandardCharsets.UTF_8);
    private static final byte[] KEY_ID_LABEL = "carapace/event-key-id/v1\0".getBytes(StandardCharsets.UTF_8);

    private HmacEventKeys() {
    }

    /** The device key a fleet master key derives for {@code deviceId}. */
    public static byte[] deriveDeviceKey(byte[] masterKey, String deviceId) {
        if (!MonitoringTopics.isName(deviceId)) {
            throw new IllegalArgumentException("not a device id: '" + deviceId + "'");
        }
        Mac mac = mac(masterKey);
        mac.update(DERIVATION_LABEL);
        return mac.doFinal(deviceId.getBytes(StandardCharsets.UTF_8));
    }

    /** The public id of a key. */
    public static String keyId(byte[] key) {
        checkKey(key);
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(KEY_ID_LABEL);
            return SCHEME + ":" + HexFormat.of().formatHex(sha.digest(key), 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JRE", e);
        }
    }

    /** An authenticator over a device key (copied). Close it to wipe the copy. */
    public static Authenticator authenticator(byte[] deviceKey) {
        return new Authenticator(deviceKey);
    }

    /** A verifier that knows the key of exactly one device. */
    public static EventVerifier deviceVerifier(String deviceId, byte[] deviceKey) {
        checkKey(deviceKey);
        if (!MonitoringTopics.isName(deviceId)) {
            throw new IllegalArgumentException("not a device id: '" + deviceId + "'");
        }
        byte[] key = deviceKey.clone();
        String keyId = keyId(key);
        return (device, envelope) -> {
            if (!deviceId.equals(device)) {
                throw new UnknownEventKeyException(device, envelope.keyId(), null);
            }
            check(device, key, keyId, envelope);
        };
    }

    /** A verifier that derives each device's key from the fleet master key (copied). */
    public static EventVerifier masterVerifier(byte[] masterKey) {
        checkKey(masterKey);
        byte[] master = masterKey.clone();
        // derived keys of recently seen devices; bounded so a flood of invented device ids cannot grow it
        Map<String, byte[]> derived = new LinkedHashMap<>(64, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
                return size() > 10_000;
            }
        };
        return (device, envelope) -> {
            if (!MonitoringTopics.isName(device)) {
                throw new UnknownEventKeyException(String.valueOf(device), envelope.keyId(), null);
            }
            byte[] key;
            synchronized (derived) {
                key = derived.computeIfAbsent(device, d -> deriveDeviceKey(master, d));
            }
            check(device, key, keyId(key), envelope);
        };
    }

    private static void check(String device, byte[] key, String keyId, EventEnvelope envelope)
        throws EventAuthenticationException {
        if (!keyId.equals(envelope.keyId())) {
            throw new UnknownEventKeyException(device, envelope.keyId(), keyId);
        }
        byte[] expected = tag(mac(key), envelope.payloadType(), envelope.payload());
        // constant-time comparison: a timing difference must not reveal how many leading bytes matched
        if (!MessageDigest.isEqual(expected, envelope.signature())) {
            throw new InvalidAuthenticatorException(device, envelope.keyId());
        }
    }

    static byte[] tag(Mac mac, String payloadType, byte[] payload) {
        // PAE streamed into the MAC: the same bytes as EventEnvelope.pae without the copy
        byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
        mac.update(("DSSEv1 " + type.length + " " + payloadType + " " + payload.length + " ").getBytes(StandardCharsets.UTF_8));
        return mac.doFinal(payload);
    }

    private static void checkKey(byte[] key) {
        Objects.requireNonNull(key, "key");
        if (key.length != KEY_BYTES) {
            throw new IllegalArgumentException("an hmac-sha256 event key has " + KEY_BYTES + " bytes, this one " + key.length);
        }
    }

    private static Mac mac(byte[] key) {
        checkKey(key);
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA-256 is missing from this JRE", e);
        }
    }

    /** The device side of the scheme. Thread-safe; {@link #close()} wipes the key copy this object holds. */
    public static final class Authenticator implements EventAuthenticator, AutoCloseable {
        private final byte[] key;
        private final String keyId;
        private final Mac mac;
        private boolean closed;

        private Authenticator(byte[] deviceKey) {
            checkKey(deviceKey);
            this.key = deviceKey.clone();
            this.keyId = HmacEventKeys.keyId(key);
            this.mac = mac(key);
        }

        @Override
        public String keyId() {
            return keyId;
        }

        @Override
        public synchronized EventEnvelope seal(String payloadType, byte[] payload) {
            if (closed) {
                throw new IllegalStateException("authenticator " + keyId + " is closed");
            }
            return new EventEnvelope(payloadType, payload, keyId, tag(mac, payloadType, payload));
        }

        @Override
        public synchronized void close() {
            closed = true;
            Arrays.fill(key, (byte) 0);
            mac.reset();
        }
    }
}
