package org.carapace.ota.internal;

import static org.carapace.ota.internal.OtaFixtures.DEVICE;
import static org.carapace.ota.internal.OtaFixtures.HARDWARE;
import static org.carapace.ota.internal.OtaFixtures.NOW;
import static org.carapace.ota.internal.OtaFixtures.OTA_1;
import static org.carapace.ota.internal.OtaFixtures.OTA_2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.carapace.api.ota.ArtifactMismatchException;
import org.carapace.api.ota.OtaException;
import org.carapace.api.ota.OtaException.Reason;
import org.carapace.api.ota.ReleaseCounterException;
import org.carapace.api.trust.TrustException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The package format against hostile input: each attack is refused with its reason and nothing is staged outside. */
class PackageArchiveTest {

    @TempDir
    Path dir;

    private final byte[] jar = OtaFixtures.bundle("org.carapace.imagehash", "0.2.1", "new image hashing");
    private final PackageMetadata.BundleEntry entry = OtaFixtures.entry("org.carapace.imagehash", "0.2.1", jar, 2);
    private final PackageMetadata metadata = OtaFixtures.metadata(List.of(entry));

    private Path archive(byte[] envelope, Map<String, byte[]> members) throws IOException {
        Path file = dir.resolve("package-" + System.nanoTime() + ".ota");
        Files.write(file, PackageArchive.write(envelope, members));
        return file;
    }

    private Path signed(PackageMetadata m, Map<String, byte[]> members) throws IOException {
        return archive(OtaFixtures.envelope(m.write(), OTA_1, OTA_2), members);
    }

    private PackageArchive.Staged read(Path archive) throws Exception {
        return read(archive, PackageLimits.DEFAULTS);
    }

    private PackageArchive.Staged read(Path archive, PackageLimits limits) throws Exception {
        return PackageArchive.readVerified(archive, limits, OtaFixtures.verifier(), dir.resolve("staging"));
    }

    private OtaException refused(Path archive) {
        return assertThrows(OtaException.class, () -> read(archive));
    }

    /** Files anywhere under the temp dir other than packages and the staging directory: an escape. */
    private List<Path> strays() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().endsWith(".ota"))
                .filter(p -> !p.startsWith(dir.resolve("staging"))).toList();
        }
    }

    @Test
    void aSignedPackageIsStagedByteForByte() throws Exception {
        PackageArchive.Staged staged = read(signed(metadata, Map.of(entry.file(), jar)));
        assertEquals(metadata, staged.metadata());
        assertEquals(2, staged.payload().signers().size());
        assertArrayEquals(jar, Files.readAllBytes(staged.jars().get("org.carapace.imagehash")));
        staged.metadata().requireApplicable(NOW, DEVICE, HARDWARE);
    }

    @Test
    @DisplayName("ota/unsigned")
    void unsigned() throws Exception {
        OtaException e = refused(archive(OtaFixtures.unsignedEnvelope(metadata.write()), Map.of(entry.file(), jar)));
        assertEquals(Reason.SIGNATURE, e.reason());
        assertEquals(TrustException.Reason.THRESHOLD_NOT_MET, ((TrustException) e.getCause()).reason());
        assertFalse(Files.exists(dir.resolve("staging").resolve("org.carapace.imagehash.jar")), "nothing unpacked before verification");
    }

    @Test
    @DisplayName("ota/wrong-role")
    void signedByPolicyKeys() throws Exception {
        OtaException e = refused(archive(OtaFixtures.envelope(metadata.write(), OtaFixtures.BASE, OtaFixtures.ROOT),
            Map.of(entry.file(), jar)));
        assertEquals(Reason.SIGNATURE, e.reason());
        assertEquals(TrustException.Reason.UNKNOWN_KEY, ((TrustException) e.getCause()).reason());
    }

    @Test
    @DisplayName("ota/too-few-signatures")
    void oneOfTwo() throws Exception {
        OtaException e = refused(archive(OtaFixtures.envelope(metadata.write(), OTA_1), Map.of(entry.file(), jar)));
        assertEquals(Reason.SIGNATURE, e.reason());
        assertEquals(TrustException.Reason.THRESHOLD_NOT_MET, ((TrustException) e.getCause()).reason());
    }

    @Test
    @DisplayName("ota/same-key-twice")
    void oneKeySigningTwiceCountsOnce() throws Exception {
        byte[] once = OtaFixtures.envelope(metadata.write(), OTA_1);
        // the same signature twice in the envelope
        String json = new String(once, java.nio.charset.StandardCharsets.UTF_8).strip();
        int start = json.indexOf("[") + 1;
        int end = json.lastIndexOf("]");
        String signature = json.substring(start, end);
        byte[] twice = (json.substring(0, end) + "," + signature + json.substring(end)
            + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        OtaException e = refused(archive(twice, Map.of(entry.file(), jar)));
        assertEquals(Reason.SIGNATURE, e.reason());
    }

    @Test
    @DisplayName("ota/tampered-metadata")
    void metadataChangedAfterSigning() throws Exception {
        byte[] envelope = OtaFixtures.envelope(metadata.write(), OTA_1, OTA_2);
        String other = PackageArchive.sha256Hex("evil".getBytes());
        String json = new String(envelope, java.nio.charset.StandardCharsets.UTF_8);
        String payload = java.util.Base64.getEncoder().encodeToString(metadata.write());
        String forged = java.util.Base64.getEncoder().encodeToString(new String(metadata.write()).replace(entry.sha256(),
            other).getBytes());
        OtaException e = refused(archive(json.replace(payload, forged).getBytes(), Map.of(entry.file(), jar)));
        assertEquals(Reason.SIGNATURE, e.reason());
        assertEquals(TrustException.Reason.BAD_SIGNATURE, ((TrustException) e.getCause()).reason());
    }

    @Test
    @DisplayName("ota/hash-mismatch")
    void jarSwappedForAnotherOfTheSameLength() throws Exception {
        byte[] evil = jar.clone();
        evil[evil.length / 2] ^= 1;
        ArtifactMismatchException e = assertThrows(ArtifactMismatchException.class, () -> read(signed(metadata,
            Map.of(entry.file(), evil))));
        assertEquals(Reason.HASH_MISMATCH, e.reason());
        assertEquals(entry.sha256(), e.expected());
        assertEquals(PackageArchive.sha256Hex(evil), e.actual());
    }

    @Test
    @DisplayName("ota/length-mismatch-longer")
    void jarLongerThanSigned() throws Exception {
        byte[] longer = java.util.Arrays.copyOf(jar, jar.length + 100);
        ArtifactMismatchException e = assertThrows(ArtifactMismatchException.class,
            () -> read(signed(metadata, Map.of(entry.file(), longer))));
        assertEquals(Reason.LENGTH_MISMATCH, e.reason());
        assertEquals(Long.toString(jar.length), e.expected());
    }

    @Test
    @DisplayName("ota/length-mismatch-shorter")
    void jarShorterThanSigned() throws Exception {
        byte[] shorter = java.util.Arrays.copyOf(jar, jar.length - 1);
        ArtifactMismatchException e = assertThrows(ArtifactMismatchException.class,
            () -> read(signed(metadata, Map.of(entry.file(), shorter))));
        assertEquals(Reason.LENGTH_MISMATCH, e.reason());
        assertEquals(Long.toString(jar.length - 1), e.actual());
    }

    @Test
    @DisplayName("ota/expired")
    void expired() throws Exception {
        PackageMetadata old = new PackageMetadata("old", NOW.minusSeconds(1), Set.of(), Set.of(), List.of(entry));
        PackageArchive.Staged staged = read(signed(old, Map.of(entry.file(), jar)));
        assertEquals(Reason.EXPIRED, assertThrows(OtaException.class, () -> staged.metadata().requireApplicable(NOW, DEVICE,
            HARDWARE)).reason());
        PackageMetadata exactlyNow = new PackageMetadata("old", NOW, Set.of(), Set.of(), List.of(entry));
        assertEquals(Reason.EXPIRED, assertThrows(OtaException.class, () -> exactlyNow.requireApplicable(NOW, DEVICE, HARDWARE)).reason());
    }

    @Test
    @DisplayName("ota/wrong-device")
    void wrongDevice() {
        assertEquals(Reason.WRONG_DEVICE,
            assertThrows(OtaException.class, () -> metadata.requireApplicable(NOW, "other-vehicle", HARDWARE)).reason());
    }

    @Test
    @DisplayName("ota/wrong-hardware")
    void wrongHardware() {
        assertEquals(Reason.WRONG_HARDWARE, assertThrows(OtaException.class, () -> metadata.requireApplicable(NOW, DEVICE,
            "hu-arm")).reason());
        assertEquals(Reason.WRONG_HARDWARE, assertThrows(OtaException.class, () -> metadata.requireApplicable(NOW, DEVICE, "")).reason());
    }

    @Test
    void unboundPackagesFitEveryDevice() throws Exception {
        new PackageMetadata("any", NOW.plusSeconds(1), Set.of(), Set.of(), List.of(entry)).requireApplicable(NOW, "x", "");
    }

    /** A ZIP written by hand, so member names can be anything. */
    private Path rawZip(Map<String, byte[]> members) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> member : members.entrySet()) {
                zip.putNextEntry(new ZipEntry(member.getKey()));
                zip.write(member.getValue());
                zip.closeEntry();
            }
        }
        Path file = dir.resolve("raw-" + System.nanoTime() + ".ota");
        Files.write(file, bytes.toByteArray());
        return file;
    }

    @Test
    @DisplayName("ota/path-traversal")
    void pathTraversal() throws Exception {
        byte[] envelope = OtaFixtures.envelope(metadata.write(), OTA_1, OTA_2);
        for (String name : List.of("../evil.jar", "bundles/../../evil.jar", "/tmp/evil.jar", "bundles\\..\\evil.jar", "C:/evil.jar",
            "bundles/x\0.jar")) {
            Map<String, byte[]> members = new LinkedHashMap<>();
            members.put(PackageArchive.METADATA, envelope);
            members.put(name, jar);
            assertEquals(Reason.PATH_TRAVERSAL, refused(rawZip(members)).reason(), name);
        }
        Map<String, byte[]> first = new LinkedHashMap<>();
        first.put("../metadata.json", envelope);
        assertEquals(Reason.PATH_TRAVERSAL, refused(rawZip(first)).reason());
        assertTrue(strays().isEmpty(), "files written outside the staging directory: " + strays());
    }

    @Test
    @DisplayName("ota/unlisted-member")
    void memberNotInTheSignedMetadata() throws Exception {
        Map<String, byte[]> members = new LinkedHashMap<>();
        members.put(entry.file(), jar);
        members.put("bundles/extra.jar", jar);
        assertEquals(Reason.UNEXPECTED_ENTRY, refused(signed(metadata, members)).reason());
        Map<String, byte[]> other = new LinkedHashMap<>();
        other.put(PackageArchive.METADATA, OtaFixtures.envelope(metadata.write(), OTA_1, OTA_2));
        other.put("README", jar);
        assertEquals(Reason.UNEXPECTED_ENTRY, refused(rawZip(other)).reason());
    }

    @Test
    @DisplayName("ota/duplicate-member")
    void memberTwice() throws Exception {
        // ZipOutputStream refuses duplicate names, so the second copy is spliced in by renaming a member
        Map<String, byte[]> members = new LinkedHashMap<>();
        members.put(PackageArchive.METADATA, OtaFixtures.envelope(metadata.write(), OTA_1, OTA_2));
        members.put(entry.file(), jar);
        String twin = entry.file().replace(".jar", "X.jar").substring(0, entry.file().length());
        members.put(twin, jar);
        Path file = rawZip(members);
        byte[] bytes = Files.readAllBytes(file);
        byte[] from = twin.getBytes();
        byte[] to = entry.file().getBytes();
        for (int i = 0; i + from.length <= bytes.length; i++) {
            if (java.util.Arrays.equals(bytes, i, i + from.length, from, 0, from.length)) {
                System.arraycopy(to, 0, bytes, i, to.length);
            }
        }
        Files.write(file, bytes);
        assertEquals(Reason.UNEXPECTED_ENTRY, refused(file).reason());
    }

    @Test
    @DisplayName("ota/missing-member")
    void listedJarMissing() throws Exception {
        assertEquals(Reason.MALFORMED, refused(signed(metadata, Map.of())).reason());
    }

    @Test
    @DisplayName("ota/metadata-not-first")
    void metadataMustComeFirst() throws Exception {
        Map<String, byte[]> members = new LinkedHashMap<>();
        members.put(entry.file(), jar);
        members.put(PackageArchive.METADATA, OtaFixtures.envelope(metadata.write(), OTA_1, OTA_2));
        assertEquals(Reason.MALFORMED, refused(rawZip(members)).reason());
    }

    @Test
    @DisplayName("ota/manifest-mismatch")
    void jarClaimsAnotherBundle() throws Exception {
        byte[] other = OtaFixtures.bundle("org.carapace.enforcement", "0.2.1", "x");
        PackageMetadata.BundleEntry lying = new PackageMetadata.BundleEntry("org.carapace.imagehash", "0.2.1",
            "bundles/org.carapace.imagehash-0.2.1.jar", PackageArchive.sha256Hex(other), other.length, 2);
        PackageMetadata m = OtaFixtures.metadata(List.of(lying));
        assertEquals(Reason.MANIFEST_MISMATCH, refused(signed(m, Map.of(lying.file(), other))).reason());
    }

    @Test
    @DisplayName("ota/oversized-archive")
    void oversizedArchive() throws Exception {
        PackageLimits small = new PackageLimits(2048, 1024 * 64, 1024 * 64, 4, 16);
        byte[] big = OtaFixtures.bundle("org.carapace.imagehash", "0.2.1", "x".repeat(4096) + Math.random());
        // random-ish content that does not compress below the limit
        byte[] noise = new byte[8192];
        new java.util.Random(7).nextBytes(noise);
        PackageMetadata.BundleEntry e = OtaFixtures.entry("org.carapace.imagehash", "0.2.1", noise, 2);
        Path file = signed(OtaFixtures.metadata(List.of(e)), Map.of(e.file(), noise));
        OtaException refusal = assertThrows(OtaException.class, () -> read(file, small));
        assertEquals(Reason.TOO_LARGE, refusal.reason());
        assertTrue(big.length > 0);
    }

    @Test
    @DisplayName("ota/oversized-jar")
    void jarLargerThanTheLimitIsRefusedBySchema() throws Exception {
        PackageLimits small = new PackageLimits(1 << 20, 1 << 16, 1024, 4, 16);
        byte[] noise = new byte[4096];
        new java.util.Random(8).nextBytes(noise);
        PackageMetadata.BundleEntry e = OtaFixtures.entry("org.carapace.imagehash", "0.2.1", noise, 2);
        OtaException refusal = assertThrows(OtaException.class, () -> read(signed(OtaFixtures.metadata(List.of(e)),
            Map.of(e.file(), noise)), small));
        assertEquals(Reason.MALFORMED, refusal.reason());
        assertTrue(refusal.getMessage().contains("length"), refusal.getMessage());
    }

    @Test
    @DisplayName("ota/not-a-zip")
    void notAZip() throws Exception {
        Path file = dir.resolve("junk.ota");
        Files.writeString(file, "this is not a package");
        assertEquals(Reason.MALFORMED, refused(file).reason());
    }

    @Test
    @DisplayName("ota/downgrade")
    void downgradeAndReplay() throws Exception {
        InstalledState installed = InstalledState.EMPTY.with(metadata, List.of(OtaFixtures.entry("org.carapace.imagehash",
            "0.2.1", jar, 5)));
        ReleaseCounterException rollback = assertThrows(ReleaseCounterException.class, () -> installed.changes(metadata));
        assertEquals(Reason.ROLLBACK, rollback.reason());
        assertEquals(5, rollback.installed());
        assertEquals(2, rollback.offered());
        byte[] other = OtaFixtures.bundle("org.carapace.imagehash", "0.2.2", "other");
        PackageMetadata sameCounter = OtaFixtures.metadata(List.of(OtaFixtures.entry("org.carapace.imagehash", "0.2.2", other, 5)));
        assertEquals(Reason.REPLAY, assertThrows(ReleaseCounterException.class, () -> installed.changes(sameCounter)).reason());
        PackageMetadata same = OtaFixtures.metadata(List.of(OtaFixtures.entry("org.carapace.imagehash", "0.2.1", jar, 5)));
        assertTrue(installed.changes(same).isEmpty(), "the installed package again changes nothing");
        PackageMetadata newer = OtaFixtures.metadata(List.of(OtaFixtures.entry("org.carapace.imagehash", "0.2.2", other, 6)));
        assertEquals(1, installed.changes(newer).size());
    }

    @Test
    void stateRoundTrips() throws Exception {
        InstalledState state = InstalledState.EMPTY.with(metadata, metadata.bundles());
        assertEquals(state, InstalledState.parse(state.write()));
        assertEquals(1, state.generation());
    }

    @Test
    void metadataRoundTripsAndRefusesUnknownFields() throws Exception {
        assertEquals(metadata, PackageMetadata.parse(metadata.write(), PackageLimits.DEFAULTS));
        String smuggled = new String(metadata.write()).replaceFirst("\\{", "{\"postInstall\": \"rm -rf /\",");
        assertThrows(org.carapace.api.trust.MalformedDocumentException.class,
            () -> PackageMetadata.parse(smuggled.getBytes(), PackageLimits.DEFAULTS));
        String noExpiry = new String(metadata.write()).replaceAll("\"expires\" : \"[^\"]*\",", "");
        assertThrows(org.carapace.api.trust.MalformedDocumentException.class,
            () -> PackageMetadata.parse(noExpiry.getBytes(), PackageLimits.DEFAULTS));
    }
}
