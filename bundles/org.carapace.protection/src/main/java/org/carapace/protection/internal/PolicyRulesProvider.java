package org.carapace.protection.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.enforcement.ContainerState;
import org.carapace.api.enforcement.GateDecision;
import org.carapace.api.enforcement.GuardException;
import org.carapace.api.enforcement.ImageManifests;
import org.carapace.api.enforcement.Verdict;
import org.carapace.api.image.FileEntry;
import org.carapace.api.image.FileManifest;
import org.carapace.api.image.FileType;
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
import org.carapace.api.protection.ProtectionRulesProvider;

/**
 * The protection rules of a container from the signed policy: the {@link ImageRule} of the image the gate matched
 * ({@link GateDecision#policyDigest()}, looked up in the policy in force), mapped field by field.
 *
 * <ul>
 *   <li>mode: the image's ({@code audit} image → protection in audit);</li>
 *   <li>executables: the policy's {@code exec.files}; without them, when {@code exec.manifest} refers to a manifest,
 *       the executables of the image's manifest the gate stores (regular files with an exec bit, and shared objects
 *       {@code *.so}, {@code *.so.*}); with neither, the rootfs walk;</li>
 *   <li>extra digests, protected and writable paths, associated execution: the policy's.</li>
 * </ul>
 * Where the policy says nothing (an empty list; the policy's format does not tell an absent list from an empty one)
 * the configured value applies, and {@link Resolved#origin()} says so. A decision that names no policy image (a
 * test gate) gets the configured rules. Fails closed: an image that left the policy since the decision, a stored
 * manifest that is tampered with or disagrees with the policy's reference, or rules that do not validate are a
 * {@link GuardException} (the gate then refuses the container).
 *
 * <p>Thread-safe; answers from memory (the policy snapshot and the gate's manifest cache), except for the first read
 * of a stored manifest.
 */
final class PolicyRulesProvider implements ProtectionRulesProvider {

    /** Rules for one container, where they come from, and the image content known to be on disk now. */
    record Resolved(ProtectionRules rules, Map<String, String> knownContent, String origin) {
        Resolved {
            knownContent = Map.copyOf(knownContent);
        }
    }

    private final PolicyService policy;
    private final Optional<ImageManifests> manifests;
    private final ProtectionRules configured;

    PolicyRulesProvider(PolicyService policy, Optional<ImageManifests> manifests, ProtectionRules configured) {
        this.policy = policy;
        this.manifests = manifests;
        this.configured = configured;
    }

    @Override
    public Optional<ProtectionRules> rulesFor(GateDecision decision, ContainerState state) {
        try {
            return Optional.of(resolve(decision).rules());
        } catch (GuardException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    Resolved resolve(GateDecision decision) throws GuardException {
        if (decision.policyDigest().isEmpty()) {
            return new Resolved(configured, Map.of(), "configuration (the decision names no policy image)");
        }
        String key = decision.policyDigest().get();
        Optional<AllowedImage> allowed = policy.snapshot().lookup(key);
        if (allowed.isEmpty()) {
            throw new GuardException("image " + decision.imageName().orElse(key) + " (" + key
                + ") is no longer in the policy in force");
        }
        ImageRule rule = allowed.get().rule();
        List<String> fromConfiguration = new ArrayList<>();
        ProtectionMode mode = rule.mode() == EnforcementMode.AUDIT ? ProtectionMode.AUDIT : ProtectionMode.ENFORCE;

        ExecWhitelist exec = rule.exec();
        Optional<Map<String, String>> executables;
        Map<String, String> known = Map.of();
        String execSource;
        if (!exec.files().isEmpty()) {
            Map<String, String> listed = new HashMap<>();
            for (FileDigest f : exec.files()) {
                listed.put(f.path(), "sha256:" + f.sha256());
            }
            executables = Optional.of(listed);
            // a listed file is trusted by inode only where the gate verified the disk against the manifest and the
            // manifest agrees with the list; any other listed file is hashed when it first runs
            Optional<FileManifest> manifest = decision.verdict() == Verdict.ALLOW ? stored(key) : Optional.empty();
            if (manifest.isPresent()) {
                known = agreeing(listed, manifest.get());
            }
            execSource = "exec list " + listed.size();
        } else if (exec.manifest().isPresent()) {
            ManifestReference ref = exec.manifest().get();
            Optional<FileManifest> manifest = stored(key);
            if (manifest.isPresent()) {
                if (manifest.get().fileCount() != ref.files()) {
                    throw new GuardException("the policy's manifest reference of image " + rule.name() + " counts "
                        + ref.files() + " files, the stored manifest of " + key + " " + manifest.get().fileCount());
                }
                Map<String, String> fromManifest = executablesOf(manifest.get());
                executables = Optional.of(fromManifest);
                // the gate matched the disk against this very manifest (mount points aside, which are mounted over)
                known = decision.verdict() == Verdict.ALLOW ? fromManifest : Map.of();
                execSource = "stored manifest " + fromManifest.size();
            } else {
                executables = Optional.empty();
                execSource = "rootfs walk (the policy refers to a manifest the gate has not stored)";
            }
        } else {
            executables = Optional.empty();
            execSource = "rootfs walk (the policy lists no executables)";
        }

        Set<String> extra = new HashSet<>();
        exec.extraSha256().forEach(hex -> extra.add("sha256:" + hex));
        if (extra.isEmpty() && !configured.extraExecDigests().isEmpty()) {
            extra.addAll(configured.extraExecDigests());
            fromConfiguration.add("extraExecDigests");
        }
        List<String> protectedPaths = orConfigured(rule.protectedPaths(), configured.protectedPaths(),
            "protectedPaths", fromConfiguration);
        List<String> writablePaths = orConfigured(rule.writablePaths(), configured.writablePaths(), "writablePaths",
            fromConfiguration);
        List<Association> associations = new ArrayList<>();
        for (AssociatedExecution a : rule.associatedExecution()) {
            List<ProgramIdentity> programs = new ArrayList<>();
            for (FileDigest p : a.programs()) {
                programs.add(new ProgramIdentity(p.path(), Optional.of("sha256:" + p.sha256())));
            }
            associations.add(new Association(a.file(), programs));
        }
        associations = orConfigured(associations, configured.associations(), "associations", fromConfiguration);
        ProtectionRules rules;
        try {
            rules = new ProtectionRules(mode, extra, protectedPaths, writablePaths, associations, executables);
        } catch (IllegalArgumentException e) {
            throw new GuardException("the policy's rules of image " + rule.name() + " cannot be enforced: "
                + e.getMessage(), e);
        }
        String origin = "policy image " + rule.name() + " (" + allowed.get().stream() + " v"
            + allowed.get().streamVersion() + "): " + mode.name().toLowerCase(java.util.Locale.ROOT) + ", executables "
            + execSource + (fromConfiguration.isEmpty() ? "" : "; configured " + String.join(", ", fromConfiguration));
        return new Resolved(rules, known, origin);
    }

    private Optional<FileManifest> stored(String rootfsDigest) throws GuardException {
        if (manifests.isEmpty()) {
            return Optional.empty();
        }
        try {
            return manifests.get().manifest(rootfsDigest);
        } catch (IOException e) {
            throw new GuardException("the stored manifest of " + rootfsDigest + " is unusable: " + e.getMessage(), e);
        }
    }

    /**
     * What may run of an image, from its manifest: regular files with an exec bit (programs, scripts, the dynamic
     * loader) and shared objects by name (libraries are often mode 0644 and are mapped, not executed).
     */
    static Map<String, String> executablesOf(FileManifest manifest) {
        Map<String, String> executables = new HashMap<>();
        for (FileEntry e : manifest.entries()) {
            if (e.type() == FileType.FILE && e.contentDigest().isPresent()
                && ((e.mode() & 0111) != 0 || sharedObject(e.path()))) {
                executables.put(e.path(), e.contentDigest().get().toString());
            }
        }
        return executables;
    }

    static boolean sharedObject(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        return name.endsWith(".so") || name.contains(".so.");
    }

    private static Map<String, String> agreeing(Map<String, String> listed, FileManifest manifest) {
        Map<String, String> agree = new HashMap<>();
        listed.forEach((path, digest) -> manifest.entry(path)
            .flatMap(FileEntry::contentDigest)
            .filter(d -> d.toString().equals(digest))
            .ifPresent(d -> agree.put(path, digest)));
        return agree;
    }

    private static <T> List<T> orConfigured(List<T> fromPolicy, List<T> configured, String field, List<String> notes) {
        if (!fromPolicy.isEmpty() || configured.isEmpty()) {
            return fromPolicy;
        }
        notes.add(field);
        return configured;
    }
}
