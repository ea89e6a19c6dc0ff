package org.carapace.policy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.carapace.api.io.StrictJson;
import org.carapace.api.policy.AssociatedExecution;
import org.carapace.api.policy.EnforcementMode;
import org.carapace.api.policy.ExecWhitelist;
import org.carapace.api.policy.FileDigest;
import org.carapace.api.policy.ImageRule;
import org.carapace.api.policy.PolicyDocument;
import org.carapace.api.policy.Revocation;
import org.carapace.api.policy.RoleViolationException;
import org.carapace.api.trust.Envelope;
import org.carapace.api.trust.MalformedDocumentException;
import org.carapace.api.trust.TrustException.Reason;
import org.carapace.api.trust.TrustRoot;
import org.junit.jupiter.api.Test;

/** Envelope, root and policy JSON: round trips and schema refusals that name the field. */
class CodecTest {

    private final EnvelopeCodec envelopes = new EnvelopeCodec(1 << 20, 4);
    private final RootCodec roots = new RootCodec(1 << 20);
    private final PolicyCodec policies = new PolicyCodec(PolicyLimits.DEFAULTS);

    @Test
    void envelopeRoundTripsAndRefusesSloppyEncodings() throws Exception {
        Envelope envelope = EnvelopeCodec.sign("t/x", "payload".getBytes(StandardCharsets.UTF_8), List.of(Fixtures.BASE_1));
        byte[] json = EnvelopeCodec.write(envelope);
        assertEquals(envelope, envelopes.parse(json));
        ObjectNode tree = (ObjectNode) new StrictJson(1 << 20, 8).parseObject(json, "t");
        String payload = tree.get("payload").textValue();
        assertMalformed(Reason.SCHEMA, "payload", with(tree, "payload", payload.replace("=", "")));
        assertMalformed(Reason.SCHEMA, "payload", with(tree, "payload", "not base64!"));
        assertMalformed(Reason.SCHEMA, "extra", with(tree, "extra", "x"));
        ObjectNode badKeyId = tree.deepCopy();
        ((ObjectNode) badKeyId.get("signatures").get(0)).put("keyid", "ABC");
        assertMalformed(Reason.SCHEMA, "keyid", badKeyId);
        ObjectNode many = tree.deepCopy();
        ArrayNode signatures = (ArrayNode) many.get("signatures");
        for (int i = 0; i < 4; i++) {
            signatures.add(signatures.get(0).deepCopy());
        }
        assertMalformed(Reason.LIMIT_EXCEEDED, "signatures", many);
    }

    private ObjectNode with(ObjectNode tree, String field, String value) {
        ObjectNode copy = tree.deepCopy();
        copy.put(field, value);
        return copy;
    }

    private void assertMalformed(Reason reason, String mentions, ObjectNode tree) {
        MalformedDocumentException e = assertThrows(MalformedDocumentException.class, () -> envelopes.parse(StrictJson.write(tree)));
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(mentions), e.getMessage());
    }

    @Test
    void rootRoundTripsAndRefusesInconsistentKeysAndThresholds() throws Exception {
        TrustRoot root = Fixtures.root();
        assertEquals(root, roots.parse(RootCodec.write(root)));
        ObjectNode tree = new StrictJson(1 << 20, 8).parseObject(RootCodec.write(root), "t");
        String baseRole = "base-policy";
        ObjectNode zero = tree.deepCopy();
        ((ObjectNode) zero.get("roles").get(baseRole)).put("threshold", 0);
        assertRoot("threshold", zero);
        ObjectNode tooHigh = tree.deepCopy();
        ((ObjectNode) tooHigh.get("roles").get(baseRole)).put("threshold", 3);
        assertRoot("threshold", tooHigh);
        ObjectNode dup = tree.deepCopy();
        ArrayNode ids = (ArrayNode) dup.get("roles").get(baseRole).get("keyIds");
        ids.add(ids.get(0).textValue());
        assertRoot("listed twice", dup);
        ObjectNode unknownRole = tree.deepCopy();
        ((ObjectNode) unknownRole.get("roles")).set("superuser", tree.get("roles").get(baseRole).deepCopy());
        assertRoot("superuser", unknownRole);
        ObjectNode missing = tree.deepCopy();
        ((ObjectNode) missing.get("roles")).remove("additional-policy");
        assertRoot("additional-policy", missing);
        // a key listed under another key's id
        ObjectNode swapped = tree.deepCopy();
        ObjectNode keys = (ObjectNode) swapped.get("keys");
        String first = keys.fieldNames().next();
        String other = Fixtures.STRANGER.keyId().hex();
        keys.set(other, keys.remove(first));
        assertRoot("key", swapped);
        ObjectNode wrongAlgorithm = tree.deepCopy();
        ((ObjectNode) wrongAlgorithm.get("keys").get(first)).put("algorithm", "ecdsa-p256-sha256");
        assertRoot("publicKey", wrongAlgorithm);
        ObjectNode garbageKey = tree.deepCopy();
        ((ObjectNode) garbageKey.get("keys").get(first)).put("publicKey", Base64.getEncoder().encodeToString(new byte[] {1, 2, 3}));
        assertRoot("publicKey", garbageKey);
    }

    private void assertRoot(String mentions, ObjectNode tree) {
        MalformedDocumentException e = assertThrows(MalformedDocumentException.class, () -> roots.parse(StrictJson.write(tree)));
        assertEquals(Reason.SCHEMA, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(mentions), e.getMessage());
    }

    @Test
    void policyRoundTrips() throws Exception {
        PolicyDocument base = Fixtures.base(3, List.of(Fixtures.image("nav", 1), Fixtures.image("media", 2)),
            List.of(new Revocation(Fixtures.digest(9), "CVE-2026-0001")));
        assertEquals(base, policies.parse(PolicyCodec.write(base)));
        PolicyDocument additional = Fixtures.additional("nav-update", 1, List.of(Fixtures.image("nav", 5)));
        assertEquals(additional, policies.parse(PolicyCodec.write(additional)));
    }

    @Test
    void policySchemaErrorsNameTheField() throws Exception {
        PolicyDocument base = Fixtures.base(3, List.of(Fixtures.image("nav", 1)), List.of());
        ObjectNode tree = new StrictJson(1 << 20, 16).parseObject(PolicyCodec.write(base), "t");
        ObjectNode image = (ObjectNode) tree.get("images").get(0);
        assertPolicy("images[0]: rootfsDigest", edit(tree, t -> ((ObjectNode) t.get("images").get(0)).put("rootfsDigest", "sha256:XYZ")));
        assertPolicy("images[0].mode", edit(tree, t -> ((ObjectNode) t.get("images").get(0)).put("mode", "permissive")));
        assertPolicy("images[0].exec.files[0]", edit(tree, t -> ((ObjectNode) t.get("images").get(0).get("exec").get("files").get(0))
            .put("path", "relative/path")));
        assertPolicy("images[0].colour", edit(tree, t -> ((ObjectNode) t.get("images").get(0)).put("colour", "red")));
        assertPolicy("version", edit(tree, t -> t.put("version", 1.5)));
        assertPolicy("version", edit(tree, t -> t.put("version", 0)));
        assertPolicy("expires", edit(tree, t -> t.put("expires", "tomorrow")));
        assertPolicy("expires", edit(tree, t -> t.putNull("expires")));
        assertPolicy("schema", edit(tree, t -> t.put("schema", "carapace.policy/v2")));
        assertPolicy("listed twice", edit(tree, t -> ((ArrayNode) t.get("images")).add(image.deepCopy())));
        assertPolicy("protected", edit(tree, t -> ((ArrayNode) t.get("images").get(0).get("writablePaths")).add("/etc/nav")));
    }

    @Test
    void additionalPolicyMayNotMentionRevocationsOrExemptions() throws Exception {
        PolicyDocument additional = Fixtures.additional("nav", 1, List.of(Fixtures.image("nav", 5)));
        ObjectNode tree = new StrictJson(1 << 20, 16).parseObject(PolicyCodec.write(additional), "t");
        ObjectNode revoking = tree.deepCopy();
        revoking.putArray("revocations");
        assertThrows(RoleViolationException.class, () -> policies.parse(StrictJson.write(revoking)));
        ObjectNode exempting = tree.deepCopy();
        exempting.putArray("exemptions").addObject().put("name", "mine").put("containerIdPattern", ".*");
        RoleViolationException e = assertThrows(RoleViolationException.class, () -> policies.parse(StrictJson.write(exempting)));
        assertEquals(Reason.FORBIDDEN_BY_ROLE, e.reason());
    }

    @Test
    void limitsAreEnforcedWhileParsing() throws Exception {
        PolicyLimits tight = new PolicyLimits(1 << 20, 16, 2, 100, 100, 100, 10, 10);
        PolicyDocument base = Fixtures.base(1, List.of(Fixtures.image("a", 1), Fixtures.image("b", 2), Fixtures.image("c", 3)), List.of());
        MalformedDocumentException e = assertThrows(MalformedDocumentException.class,
            () -> new PolicyCodec(tight).parse(PolicyCodec.write(base)));
        assertEquals(Reason.LIMIT_EXCEEDED, e.reason());
        assertTrue(e.getMessage().contains("images"), e.getMessage());
    }

    @Test
    void streamingPolicyReaderRefusesEveryJsonTrick() throws Exception {
        byte[] good = PolicyCodec.write(Fixtures.base(1, List.of(Fixtures.image("nav", 1)), List.of()));
        String text = new String(good, StandardCharsets.UTF_8);
        assertReason(Reason.TRUNCATED, new byte[0]);
        assertReason(Reason.TRUNCATED, java.util.Arrays.copyOf(good, good.length - 10));
        assertReason(Reason.TRAILING_DATA, (text + " {}").getBytes(StandardCharsets.UTF_8));
        assertReason(Reason.DUPLICATE_KEY, text.replaceFirst("\"version\" : 1", "\"version\" : 1, \"version\" : 2")
            .getBytes(StandardCharsets.UTF_8));
        assertReason(Reason.MALFORMED, text.getBytes(StandardCharsets.UTF_16));
        assertReason(Reason.MALFORMED, ("\ufeff" + text).getBytes(StandardCharsets.UTF_8));
        // the schema-driven reader refuses a structure the schema does not have before the nesting limit matters
        assertReason(Reason.SCHEMA, text.replaceFirst("\"images\" : \\[", "\"images\" : [[[[[[[[[[[[[[[[[[")
            .getBytes(StandardCharsets.UTF_8));
        assertReason(Reason.SCHEMA, text.replaceFirst("\"version\" : 1", "\"version\" : 123456789012345678901234567890")
            .getBytes(StandardCharsets.UTF_8));
        assertReason(Reason.SCHEMA, text.replaceFirst("\"version\" : 1", "\"version\" : \"1\"").getBytes(StandardCharsets.UTF_8));
        assertReason(Reason.SCHEMA, "[]".getBytes(StandardCharsets.UTF_8));
        assertReason(Reason.TOO_LARGE, new byte[(int) PolicyLimits.DEFAULTS.maxDocumentBytes() + 1]);
        byte[] invalidUtf8 = text.replace("\"nav\"", "\"n\u00e9v\"").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < invalidUtf8.length; i++) {
            if (invalidUtf8[i] == (byte) 0xc3) {
                invalidUtf8[i + 1] = 0x28; // a lead byte without its continuation
                break;
            }
        }
        assertReason(Reason.MALFORMED, invalidUtf8);
    }

    @Test
    void theDeepestLegalStructureFitsTheSmallestNestingLimit() throws Exception {
        ImageRule deep = new ImageRule("nav", Fixtures.digest(1), Optional.empty(), EnforcementMode.ENFORCE, ExecWhitelist.EMPTY,
            List.of(), List.of(), List.of(new AssociatedExecution("/etc/key", List.of(new FileDigest("/usr/bin/nav", Fixtures.hex(2))))));
        PolicyDocument document = Fixtures.base(1, List.of(deep), List.of());
        PolicyLimits smallest = new PolicyLimits(1 << 20, 8, 10, 10, 10, 10, 10, 10);
        assertEquals(document, new PolicyCodec(smallest).parse(PolicyCodec.write(document)));
        assertThrows(IllegalArgumentException.class, () -> new PolicyLimits(1 << 20, 7, 10, 10, 10, 10, 10, 10));
    }

    private void assertReason(Reason reason, byte[] payload) {
        MalformedDocumentException e = assertThrows(MalformedDocumentException.class, () -> policies.parse(payload));
        assertEquals(reason, e.reason(), e.getMessage());
    }

    private interface Edit {
        void apply(ObjectNode tree);
    }

    private static ObjectNode edit(ObjectNode tree, Edit edit) {
        ObjectNode copy = tree.deepCopy();
        edit.apply(copy);
        return copy;
    }

    private void assertPolicy(String mentions, ObjectNode tree) {
        MalformedDocumentException e = assertThrows(MalformedDocumentException.class, () -> policies.parse(StrictJson.write(tree)));
        assertEquals(Reason.SCHEMA, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(mentions), e.getMessage());
    }
}
