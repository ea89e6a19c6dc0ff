package org.carapace.ota.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.carapace.api.trust.MalformedDocumentException;
import org.carapace.api.trust.TrustException.Reason;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The installer's own files: read back exactly, and a damaged or doctored one is refused, never half-believed. */
class StateFilesTest {

    private static final String SHA_A = "a".repeat(64);
    private static final String SHA_B = "b".repeat(64);

    private final Journal journal = new Journal("imagehash-0.2.1",
        List.of(new Journal.Swap("org.carapace.imagehash", "0.2.0", SHA_A, "0.2.1", SHA_B)));
    private final InstalledState state = new InstalledState(4,
        Map.of("org.carapace.imagehash", new InstalledState.Installed("0.2.1", SHA_B, 7, "imagehash-0.2.1")));

    @Test
    void roundTrips() throws Exception {
        assertEquals(journal, Journal.parse(journal.write()));
        assertEquals(state, InstalledState.parse(state.write()));
    }

    @Test
    @DisplayName("ota/state-truncated")
    void truncatedFilesAreRefused() {
        byte[] bytes = state.write();
        byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length / 2);
        assertEquals(Reason.TRUNCATED, assertThrows(MalformedDocumentException.class, () -> InstalledState.parse(cut)).reason());
        byte[] journalBytes = journal.write();
        byte[] journalCut = java.util.Arrays.copyOf(journalBytes, journalBytes.length - 3);
        assertThrows(MalformedDocumentException.class, () -> Journal.parse(journalCut));
    }

    @Test
    @DisplayName("ota/state-duplicate-counter")
    void aSecondCounterForTheSameBundleIsRefused() {
        String text = new String(state.write(), StandardCharsets.UTF_8);
        String doubled = text.replace("\"bundles\" : {", "\"bundles\" : { \"org.carapace.imagehash\" : {\"version\": \"9.9.9\", "
            + "\"sha256\": \"" + SHA_A + "\", \"releaseCounter\": 1, \"package\": \"x\"},");
        assertEquals(Reason.DUPLICATE_KEY, assertThrows(MalformedDocumentException.class,
            () -> InstalledState.parse(doubled.getBytes(StandardCharsets.UTF_8))).reason());
    }

    @Test
    @DisplayName("ota/journal-path-in-hash")
    void aJournalNamingAPathInsteadOfAHashIsRefused() {
        String text = new String(journal.write(), StandardCharsets.UTF_8).replace(SHA_A, "../../etc/passwd");
        assertEquals(Reason.SCHEMA, assertThrows(MalformedDocumentException.class,
            () -> Journal.parse(text.getBytes(StandardCharsets.UTF_8))).reason());
    }

    @Test
    void countersOnlyGrowThroughCommits() throws Exception {
        byte[] jar = OtaFixtures.bundle("org.carapace.imagehash", "0.2.2", "next");
        PackageMetadata next = OtaFixtures.metadata(List.of(OtaFixtures.entry("org.carapace.imagehash", "0.2.2", jar, 8)));
        InstalledState committed = state.with(next, state.changes(next));
        assertEquals(5, committed.generation());
        assertEquals(8, committed.bundles().get("org.carapace.imagehash").releaseCounter());
        assertEquals(7, state.bundles().get("org.carapace.imagehash").releaseCounter(), "the old state is unchanged");
    }
}
