package org.carapace.policy.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.io.Fields;
import org.carapace.api.io.StrictJson;
import org.carapace.api.trust.KeyAlgorithm;
import org.carapace.api.trust.KeyId;
import org.carapace.api.trust.MalformedDocumentException;
import org.carapace.api.trust.Role;
import org.carapace.api.trust.RoleKeys;
import org.carapace.api.trust.TrustRoot;
import org.carapace.api.trust.TrustedKey;

/**
 * The JSON form of a {@link TrustRoot} (schema {@value #SCHEMA}; see {@code docs/policy.md}):
 * <pre>
 * {"schema": "carapace.root/v1", "version": 1, "expires": "2030-01-01T00:00:00Z",
 *  "keys": {"&lt;keyid&gt;": {"algorithm": "ed25519", "publicKey": "&lt;base64 DER SubjectPublicKeyInfo&gt;"}},
 *  "roles": {"root": {"keyIds": ["&lt;keyid&gt;"], "threshold": 1}, "base-policy": {...}, ...}}
 * </pre>
 * Every key's id must be the SHA-256 of its canonical encoding; roles must be known and name listed keys; a
 * threshold of 0 or above the role's key count is refused. Immutable and thread-safe.
 */
public final class RootCodec {

    public static final String SCHEMA = "carapace.root/v1";
    private static final String DOCUMENT = "root document";
    private static final int MAX_KEYS = 256;

    private final StrictJson json;

    public RootCodec(long maxBytes) {
        this.json = new StrictJson(maxBytes, 8);
    }

    /** Parses a root document (the payload of a root envelope). */
    public TrustRoot parse(byte[] payload) throws MalformedDocumentException {
        Fields top = Fields.of(DOCUMENT, json.parseObject(payload, DOCUMENT));
        String schema = top.string("schema");
        if (!SCHEMA.equals(schema)) {
            throw top.error("schema", "unsupported schema '" + Fields.abbreviate(schema) + "', expected " + SCHEMA);
        }
        long version = top.integer("version", 1, (1L << 53) - 1);
        Optional<Instant> expires = top.optionalInstant("expires");
        Map<KeyId, TrustedKey> keys = new LinkedHashMap<>();
        for (Map.Entry<String, Fields> entry : top.objectMap("keys", MAX_KEYS).entrySet()) {
            Fields key = entry.getValue();
            if (!KeyId.isValid(entry.getKey())) {
                throw top.error("keys." + Fields.abbreviate(entry.getKey()), "a key id is 64 lowercase hex characters");
            }
            String algorithmName = key.string("algorithm");
            KeyAlgorithm algorithm = KeyAlgorithm.fromId(algorithmName)
                .orElseThrow(() -> key.error("algorithm", "unknown algorithm '" + Fields.abbreviate(algorithmName)
                    + "' (ed25519 or ecdsa-p256-sha256)"));
            byte[] spki;
            try {
                spki = Base64.getDecoder().decode(key.string("publicKey"));
                PublicKeys.decode(algorithm, spki);
            } catch (IllegalArgumentException e) {
                throw key.error("publicKey", e.getMessage());
            }
            KeyId id = new KeyId(entry.getKey());
            if (!KeyId.of(spki).equals(id)) {
                throw top.error("keys." + id.shortForm(), "the key id is not the SHA-256 of the public key (" + KeyId.of(spki) + ")");
            }
            key.end();
            keys.put(id, new TrustedKey(id, algorithm, spki));
        }
        Map<Role, RoleKeys> roles = new EnumMap<>(Role.class);
        for (Map.Entry<String, Fields> entry : top.objectMap("roles", Role.values().length).entrySet()) {
            Fields roleFields = entry.getValue();
            Role role = Role.fromId(entry.getKey())
                .orElseThrow(() -> top.error("roles." + Fields.abbreviate(entry.getKey()), "unknown role"));
            Set<KeyId> ids = new LinkedHashSet<>();
            for (String id : roleFields.strings("keyIds", true, MAX_KEYS)) {
                if (!KeyId.isValid(id)) {
                    throw roleFields.error("keyIds", "'" + Fields.abbreviate(id) + "' is not a key id");
                }
                if (!keys.containsKey(new KeyId(id))) {
                    throw roleFields.error("keyIds", "key " + id + " is not listed under keys");
                }
                if (!ids.add(new KeyId(id))) {
                    throw roleFields.error("keyIds", "key " + id + " is listed twice");
                }
            }
            long threshold = roleFields.integer("threshold", 1, ids.size());
            roleFields.end();
            roles.put(role, new RoleKeys(ids, (int) threshold));
        }
        top.end();
        for (Role role : Role.values()) {
            if (role.required() && !roles.containsKey(role)) {
                throw top.error("roles", "role " + role + " is required");
            }
        }
        return new TrustRoot(version, expires, keys, roles);
    }

    /** The root as indented JSON with a final newline. */
    public static byte[] write(TrustRoot root) {
        ObjectNode top = StrictJson.object();
        top.put("schema", SCHEMA);
        top.put("version", root.version());
        root.expires().ifPresent(e -> top.put("expires", e.toString()));
        ObjectNode keys = top.putObject("keys");
        for (TrustedKey key : root.keys().values()) {
            ObjectNode k = keys.putObject(key.id().hex());
            k.put("algorithm", key.algorithm().id());
            k.put("publicKey", Base64.getEncoder().encodeToString(key.subjectPublicKeyInfo()));
        }
        ObjectNode roles = top.putObject("roles");
        for (Map.Entry<Role, RoleKeys> entry : root.roles().entrySet()) {
            ObjectNode r = roles.putObject(entry.getKey().id());
            ArrayNode ids = r.putArray("keyIds");
            entry.getValue().keyIds().forEach(id -> ids.add(id.hex()));
            r.put("threshold", entry.getValue().threshold());
        }
        return StrictJson.write(top);
    }
}
