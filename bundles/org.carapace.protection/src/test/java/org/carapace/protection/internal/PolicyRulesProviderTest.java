package org.carapace.protection.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.enforcement.GateDecision;
import org.carapace.api.enforcement.GuardException;
import org.carapace.api.enforcement.ImageManifests;
import org.carapace.api.enforcement.Verdict;
import org.carapace.api.image.Digest;
import org.carapace.api.image.FileEntry;
import org.carapace.api.image.FileManifest;
import org.carapace.api.policy.AllowedImage;
import org.carapace.api.policy.AssociatedExecution;
import org.carapace.api.policy.EnforcementMode;
import org.carapace.api.policy.ExecWhitelist;
import org.carapace.api.policy.FileDigest;
import org.carapace.api.policy.ImageRule;
import org.carapace.api.policy.ManifestReference;
import org.carapace.api.policy.PolicyService;
import org.carapace.api.protection.Association;
import org.carapace.api.protection.ProgramIdentity;
import org.carapace.api.protection.ProtectionMode;
import org.carapace.api.protection.ProtectionRules;
import org.junit.jupiter.api.Test;

/** How an image's rule of the signed policy becomes the protection rules of its containers. */
class PolicyRulesProviderTest {

    private static final String ROOTFS = "sha256:" + "a".repeat(64);
    private static final String AS_RUN = "sha256:" + "b".repeat(64);
    private static final String SH = "1".repeat(64);
    private static final String APP = "2".repeat(64);
    private static final String LIB = "3".repeat(64);
    private static final String CONF = "4".repeat(64);
    private static final String EXTRA = "5".repeat(64);
    private static final ProtectionRules CONFIGURED = new ProtectionRules(ProtectionMode.ENFORCE,
        Set.of("sha256:" + "9".repeat(64)), List.of("/etc/configured"), List.of("/tmp", "/run"), List.of());

    private final Map<String, FileManifest> stored = new HashMap<>();
    private final Map<String, AllowedImage> images = new HashMap<>();

    private PolicyRulesProvider provider() {
        ImageManifests manifests = digest -> Optional.ofNullable(stored.get(digest));
        return new PolicyRulesProvider(policy(), Optional.of(manifests), CONFIGURED);
    }

    private void allow(ImageRule rule) {
        images.put(rule.rootfsDigest(), new AllowedImage(rule, "base", 3));
    }

    private static ImageRule rule(EnforcementMode mode, ExecWhitelist exec, List<String> protectedPaths,
                                  List<String> writablePaths, List<AssociatedExecution> associations) {
        return new ImageRule("nav", ROOTFS, Optional.empty(), mode, exec, protectedPaths, writablePaths, associations);
    }

    private static GateDecision decision(Verdict verdict, Optional<String> policyDigest) {
        return new GateDecision(verdict, "c1", Path.of("/b"), Optional.of(Path.of("/b/rootfs")), Optional.of(AS_RUN),
            Optional.of("nav"), verdict == Verdict.AUDIT ? "audit" : "enforce", "test", List.of(), 1, policyDigest);
    }

    private static FileManifest manifest() {
        return new FileManifest(FileManifest.FORMAT_VERSION, List.of(), List.of(
            FileEntry.directory("/bin", 0755, 0, 0, List.of()),
            FileEntry.file("/bin/sh", 0755, 0, 0, 10, Digest.parse("sha256:" + SH), Optional.empty(), List.of()),
            FileEntry.directory("/etc", 0755, 0, 0, List.of()),
            FileEntry.file("/etc/app.conf", 0644, 0, 0, 10, Digest.parse("sha256:" + CONF), Optional.empty(), List.of()),
            FileEntry.directory("/lib", 0755, 0, 0, List.of()),
            FileEntry.file("/lib/libc.so.6", 0644, 0, 0, 10, Digest.parse("sha256:" + LIB), Optional.empty(), List.of()),
            FileEntry.directory("/usr", 0755, 0, 0, List.of()),
            FileEntry.directory("/usr/bin", 0755, 0, 0, List.of()),
            FileEntry.file("/usr/bin/app", 0700, 0, 0, 10, Digest.parse("sha256:" + APP), Optional.empty(), List.of())),
            Digest.parse(ROOTFS));
    }

    @Test
    void thePolicysExecListModeAndPathsReplaceTheConfiguration() throws Exception {
        allow(rule(EnforcementMode.AUDIT, new ExecWhitelist(List.of(new FileDigest("/bin/sh", SH),
                new FileDigest("/usr/bin/app", "f".repeat(64))), Set.of(EXTRA), Optional.empty()),
            List.of("/etc/nav"), List.of("/var/lib/nav"),
            List.of(new AssociatedExecution("/etc/nav/key.db", List.of(new FileDigest("/usr/bin/app", APP))))));
        stored.put(ROOTFS, manifest());

        PolicyRulesProvider.Resolved r = provider().resolve(decision(Verdict.ALLOW, Optional.of(ROOTFS)));

        ProtectionRules rules = r.rules();
        assertEquals(ProtectionMode.AUDIT, rules.mode(), "an audit image is protected in audit");
        assertEquals(Optional.of(Map.of("/bin/sh", "sha256:" + SH, "/usr/bin/app", "sha256:" + "f".repeat(64))),
            rules.executables());
        assertEquals(Set.of("sha256:" + EXTRA), rules.extraExecDigests());
        assertEquals(List.of("/etc/nav"), rules.protectedPaths());
        assertEquals(List.of("/var/lib/nav"), rules.writablePaths());
        assertEquals(List.of(new Association("/etc/nav/key.db",
            List.of(new ProgramIdentity("/usr/bin/app", Optional.of("sha256:" + APP))))), rules.associations());
        // only what the verified manifest agrees with is trusted by inode; /usr/bin/app differs, so it is hashed
        assertEquals(Map.of("/bin/sh", "sha256:" + SH), r.knownContent());
        assertEquals("policy image nav (base v3): audit, executables exec list 2", r.origin());
    }

    @Test
    void withoutAnExecListTheStoredManifestsExecutablesAreTheWhitelist() throws Exception {
        allow(rule(EnforcementMode.ENFORCE, new ExecWhitelist(List.of(), Set.of(),
            Optional.of(new ManifestReference(ROOTFS, 4))), List.of(), List.of(), List.of()));
        stored.put(ROOTFS, manifest());

        PolicyRulesProvider.Resolved r = provider().resolve(decision(Verdict.ALLOW, Optional.of(ROOTFS)));

        Map<String, String> expected = Map.of("/bin/sh", "sha256:" + SH, "/usr/bin/app", "sha256:" + APP,
            "/lib/libc.so.6", "sha256:" + LIB);
        assertEquals(Optional.of(expected), r.rules().executables(), "exec bit or shared object; not /etc/app.conf");
        assertEquals(expected, r.knownContent(), "the gate verified the disk against this manifest");
        assertEquals(ProtectionMode.ENFORCE, r.rules().mode());
        assertEquals(CONFIGURED.extraExecDigests(), r.rules().extraExecDigests());
        assertEquals(CONFIGURED.protectedPaths(), r.rules().protectedPaths());
        assertEquals(CONFIGURED.writablePaths(), r.rules().writablePaths());
        assertEquals("policy image nav (base v3): enforce, executables stored manifest 3; configured extraExecDigests, "
            + "protectedPaths, writablePaths", r.origin());
    }

    @Test
    void auditVerdictTrustsNoInodeFromTheManifest() throws Exception {
        allow(rule(EnforcementMode.AUDIT, new ExecWhitelist(List.of(), Set.of(),
            Optional.of(new ManifestReference(ROOTFS, 4))), List.of(), List.of(), List.of()));
        stored.put(ROOTFS, manifest());
        PolicyRulesProvider.Resolved r = provider().resolve(decision(Verdict.AUDIT, Optional.of(ROOTFS)));
        assertEquals(3, r.rules().executables().orElseThrow().size());
        assertEquals(Map.of(), r.knownContent(), "the content differs from the manifest: every file is hashed");
    }

    @Test
    void aPolicyThatSaysNothingAboutExecutablesFallsBackToTheRootfsWalk() throws Exception {
        allow(ImageRule.of("nav", ROOTFS));
        PolicyRulesProvider.Resolved r = provider().resolve(decision(Verdict.ALLOW, Optional.of(ROOTFS)));
        assertEquals(Optional.empty(), r.rules().executables());
        assertTrue(r.origin().contains("rootfs walk (the policy lists no executables)"), r.origin());
    }

    @Test
    void aManifestReferenceWithoutAStoredManifestFallsBackToTheRootfsWalk() throws Exception {
        allow(rule(EnforcementMode.ENFORCE, new ExecWhitelist(List.of(), Set.of(),
            Optional.of(new ManifestReference(ROOTFS, 4))), List.of(), List.of(), List.of()));
        PolicyRulesProvider.Resolved r = provider().resolve(decision(Verdict.ALLOW, Optional.of(ROOTFS)));
        assertEquals(Optional.empty(), r.rules().executables());
        assertTrue(r.origin().contains("the policy refers to a manifest the gate has not stored"), r.origin());
    }

    @Test
    void manifestReferenceOfAnotherFileCountIsRefused() {
        allow(rule(EnforcementMode.ENFORCE, new ExecWhitelist(List.of(), Set.of(),
            Optional.of(new ManifestReference(ROOTFS, 99))), List.of(), List.of(), List.of()));
        stored.put(ROOTFS, manifest());
        GuardException e = assertThrows(GuardException.class,
            () -> provider().resolve(decision(Verdict.ALLOW, Optional.of(ROOTFS))));
        assertTrue(e.getMessage().contains("counts 99 files"), e.getMessage());
    }

    @Test
    void tamperedStoredManifestIsRefused() {
        allow(rule(EnforcementMode.ENFORCE, new ExecWhitelist(List.of(), Set.of(),
            Optional.of(new ManifestReference(ROOTFS, 4))), List.of(), List.of(), List.of()));
        ImageManifests tampered = digest -> {
            throw new IOException("sha256-aaa.json holds the manifest of another image");
        };
        PolicyRulesProvider p = new PolicyRulesProvider(policy(), Optional.of(tampered), CONFIGURED);
        GuardException e = assertThrows(GuardException.class,
            () -> p.resolve(decision(Verdict.ALLOW, Optional.of(ROOTFS))));
        assertTrue(e.getMessage().contains("unusable"), e.getMessage());
    }

    @Test
    void imageRemovedFromThePolicySinceTheDecisionIsRefused() {
        GuardException e = assertThrows(GuardException.class,
            () -> provider().resolve(decision(Verdict.ALLOW, Optional.of(ROOTFS))));
        assertTrue(e.getMessage().contains("no longer in the policy"), e.getMessage());
    }

    @Test
    void policyWithTheRootWritableIsRefused() {
        allow(rule(EnforcementMode.ENFORCE, ExecWhitelist.EMPTY, List.of(), List.of("/"), List.of()));
        GuardException e = assertThrows(GuardException.class,
            () -> provider().resolve(decision(Verdict.ALLOW, Optional.of(ROOTFS))));
        assertTrue(e.getMessage().contains("cannot be enforced"), e.getMessage());
    }

    @Test
    void aDecisionWithoutAPolicyImageGetsTheConfiguredRules() throws Exception {
        PolicyRulesProvider.Resolved r = provider().resolve(decision(Verdict.ALLOW, Optional.empty()));
        assertEquals(CONFIGURED, r.rules());
        assertTrue(r.origin().startsWith("configuration"), r.origin());
    }

    private PolicyService policy() {
        return PolicyFixture.over(images);
    }
}
