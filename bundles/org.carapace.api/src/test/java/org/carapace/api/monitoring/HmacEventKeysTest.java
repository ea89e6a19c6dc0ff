package org.carapace.api.monitoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HmacEventKeysTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] KEY = HEX.parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

    @Test
    void jreHmacSha256MatchesRfc4231TestCase1() throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(HEX.parseHex("0b".repeat(20)), "HmacSHA256"));
        assertEquals("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            HEX.formatHex(mac.doFinal("Hi There".getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    void authenticatorIsHmacOverDssePae() {
        // known answer computed independently with:
        // printf 'DSSEv1 38 application/vnd.carapace.event.v1+json 5 hello' | openssl dgst -sha256 -mac HMAC -macopt hexkey:0001..1f
        try (HmacEventKeys.Authenticator authenticator = HmacEventKeys.authenticator(KEY)) {
            EventEnvelope envelope = authenticator.seal(EventCodec.PAYLOAD_TYPE, "hello".getBytes(StandardCharsets.UTF_8));
            assertEquals("8736a531457c9d537011c120fb58439444f7c4d00e7aa5b8797bdcef41091564", HEX.formatHex(envelope.signature()));
            assertEquals("DSSEv1 38 application/vnd.carapace.event.v1+json 5 hello",
                new String(EventEnvelope.pae(EventCodec.PAYLOAD_TYPE, "hello".getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8));
        }
    }

    @Test
    void keyDerivationAndKeyIdKnownAnswers() {
        // printf 'carapace/event-auth/v1\0dev-vehicle-0001' | openssl dgst -sha256 -mac HMAC -macopt hexkey:0001..1f
        assertEquals("c007547ed838c26ba4dd19a1014650cf1115cdad226600e25c663cd2102e3319",
            HEX.formatHex(HmacEventKeys.deriveDeviceKey(KEY, "dev-vehicle-0001")));
        // sha256('carapace/event-key-id/v1\0' || key), first 8 bytes
        assertEquals("hmac-sha256:b6130acc2ba30c83", HmacEventKeys.keyId(KEY));
    }

    @Test
    void verifierAcceptsGenuineAndRefusesForgedEvents() throws Exception {
        byte[] deviceKey = HmacEventKeys.deriveDeviceKey(KEY, "car-1");
        EventVerifier master = HmacEventKeys.masterVerifier(KEY);
        EventVerifier single = HmacEventKeys.deviceVerifier("car-1", deviceKey);
        EventEnvelope genuine = HmacEventKeys.authenticator(deviceKey)
            .seal(EventCodec.PAYLOAD_TYPE, "{\"seq\":1}".getBytes(StandardCharsets.UTF_8));
        master.verify("car-1", genuine);
        single.verify("car-1", genuine);

        // attack: payload altered in transit, authenticator kept
        EventEnvelope altered = new EventEnvelope(genuine.payloadType(), "{\"seq\":2}".getBytes(StandardCharsets.UTF_8),
            genuine.keyId(), genuine.signature());
        InvalidAuthenticatorException forged = assertThrows(InvalidAuthenticatorException.class, () -> master.verify("car-1", altered));
        assertEquals("car-1", forged.deviceId());
        assertThrows(InvalidAuthenticatorException.class, () -> single.verify("car-1", altered));

        // attack: another device's genuine event presented as car-2's
        assertThrows(UnknownEventKeyException.class, () -> master.verify("car-2", genuine));
        assertThrows(UnknownEventKeyException.class, () -> single.verify("car-2", genuine));

        // attack: forged with an attacker's own key under the right key id
        byte[] attacker = new byte[32];
        EventEnvelope selfMade = HmacEventKeys.authenticator(attacker)
            .seal(EventCodec.PAYLOAD_TYPE, "{\"seq\":1}".getBytes(StandardCharsets.UTF_8));
        EventEnvelope relabelled = new EventEnvelope(selfMade.payloadType(), selfMade.payload(), genuine.keyId(), selfMade.signature());
        assertThrows(InvalidAuthenticatorException.class, () -> master.verify("car-1", relabelled));

        // attack: payload type swapped (PAE binds it)
        EventEnvelope retyped = new EventEnvelope("application/json", genuine.payload(), genuine.keyId(), genuine.signature());
        assertThrows(InvalidAuthenticatorException.class, () -> master.verify("car-1", retyped));
    }

    @Test
    void envelopeJsonRoundTripAndStrictness() throws MalformedEventException {
        EventEnvelope envelope = HmacEventKeys.authenticator(KEY).seal(EventCodec.PAYLOAD_TYPE, "{}".getBytes(StandardCharsets.UTF_8));
        String json = new String(envelope.toJson(), StandardCharsets.UTF_8);
        assertEquals("{\"payloadType\":\"application/vnd.carapace.event.v1+json\",\"payload\":\"e30=\",\"signatures\":"
            + "[{\"keyid\":\"hmac-sha256:b6130acc2ba30c83\",\"sig\":\"" + java.util.Base64.getEncoder().encodeToString(envelope.signature())
            + "\"}]}", json);
        assertEquals(envelope, EventEnvelope.fromJson(envelope.toJson()));
        String twoSignatures = json.replace("}]}", "},{\"keyid\":\"x\",\"sig\":\"AA==\"}]}");
        assertThrows(MalformedEventException.class, () -> EventEnvelope.fromJson(twoSignatures.getBytes(StandardCharsets.UTF_8)));
        String noSignature = json.replaceAll("\\[.*\\]", "[]");
        assertThrows(MalformedEventException.class, () -> EventEnvelope.fromJson(noSignature.getBytes(StandardCharsets.UTF_8)));
        String badBase64 = json.replace("e30=", "e30=!");
        assertThrows(MalformedEventException.class, () -> EventEnvelope.fromJson(badBase64.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void keyFileRoundTripPermissionsAndRefusals(@TempDir Path dir) throws Exception {
        EventKeyFile generated = EventKeyFile.generateDeviceKey("car-1", true);
        Path file = dir.resolve("event-auth.key");
        generated.write(file);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        EventKeyFile read = EventKeyFile.read(file);
        assertEquals(generated, read);
        assertTrue(read.dev());
        assertArrayEquals(generated.key(), read.key());
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> generated.write(file));

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        EventKeyFileException open = assertThrows(EventKeyFileException.class, () -> EventKeyFile.read(file));
        assertTrue(open.getMessage().contains("group or others"), open.getMessage());

        Path missing = dir.resolve("none.key");
        assertEquals(missing, assertThrows(EventKeyFileException.class, () -> EventKeyFile.read(missing)).path());

        Path wrongScheme = dir.resolve("wrong.key");
        String wrong = new String(generated.toJson(), StandardCharsets.UTF_8).replace("hmac-sha256", "none");
        Files.write(wrongScheme, wrong.getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(wrongScheme, PosixFilePermissions.fromString("rw-------"));
        assertTrue(assertThrows(EventKeyFileException.class, () -> EventKeyFile.read(wrongScheme)).getMessage().contains("scheme"));

        EventKeyFile master = EventKeyFile.generateMasterKey();
        assertEquals(master, EventKeyFile.fromJson(master.toJson()));
        assertThrows(IllegalArgumentException.class, () -> new EventKeyFile(EventKeyFile.Kind.MASTER, "car-1", new byte[32], false));
        assertThrows(IllegalArgumentException.class, () -> new EventKeyFile(EventKeyFile.Kind.DEVICE, "car-1", new byte[16], false));
    }
}
