package org.carapace.policy.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.carapace.api.policy.AllowedImage;
import org.carapace.api.policy.Exemption;
import org.carapace.api.policy.ImageRule;
import org.carapace.api.policy.PolicyChange;
import org.carapace.api.policy.PolicySnapshot;
import org.carapace.api.policy.PolicyStatus;
import org.carapace.api.policy.Refusal;
import org.carapace.api.policy.StreamStatus;
import org.carapace.api.trust.KeyId;
import org.carapace.api.trust.Role;
import org.carapace.api.trust.RoleKeys;
import org.carapace.api.trust.TrustRoot;
import org.carapace.api.trust.TrustedKey;

/**
 * Status and results as plain maps (strings, numbers, booleans, lists, maps): what the admin socket sends and the CLI
 * prints. Keys are an interface: only ever added.
 */
public final class StatusMaps {

    private StatusMaps() {
    }

    /** A policy status; with {@code details}, also every image, revocation and exemption in force. */
    public static Map<String, Object> policy(PolicyStatus status, boolean details) {
        PolicySnapshot snapshot = status.snapshot();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("state", status.state().name());
        out.put("trustRootVersion", status.trustRootVersion());
        out.put("directory", status.directory().toString());
        out.put("generation", snapshot.generation());
        out.put("versions", new LinkedHashMap<>(snapshot.versions()));
        out.put("imageCount", snapshot.imageCount());
        out.put("revocationCount", snapshot.revocations().size());
        out.put("exemptionCount", snapshot.exemptions().size());
        out.put("expires", snapshot.expires().map(Object::toString).orElse(null));
        List<Object> streams = new ArrayList<>();
        for (StreamStatus stream : status.streams()) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("stream", stream.stream());
            s.put("kind", stream.kind().id());
            s.put("state", stream.state().name());
            s.put("version", stream.version());
            s.put("highestAccepted", stream.highestAccepted());
            s.put("expires", stream.expires().map(Object::toString).orElse(null));
            s.put("payloadSha256", stream.payloadSha256());
            s.put("imageCount", stream.imageCount());
            s.put("problem", stream.problem().orElse(null));
            streams.add(s);
        }
        out.put("streams", streams);
        out.put("lastRefusal", status.lastRefusal().map(StatusMaps::refusal).orElse(null));
        out.put("problems", new ArrayList<>(status.problems()));
        if (details) {
            List<Object> images = new ArrayList<>();
            for (AllowedImage image : snapshot.images()) {
                images.add(image(image));
            }
            out.put("images", images);
            out.put("revocations", new ArrayList<>(new java.util.TreeSet<>(snapshot.revocations())));
            List<Object> exemptions = new ArrayList<>();
            for (Exemption exemption : snapshot.exemptions()) {
                exemptions.add(exemption(exemption));
            }
            out.put("exemptions", exemptions);
        }
        return out;
    }

    static Map<String, Object> refusal(Refusal refusal) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("at", refusal.at().toString());
        r.put("stream", refusal.stream().orElse(null));
        r.put("reason", refusal.reason());
        r.put("message", refusal.message());
        return r;
    }

    static Map<String, Object> image(AllowedImage allowed) {
        Map<String, Object> i = rule(allowed.rule());
        i.put("stream", allowed.stream());
        i.put("streamVersion", allowed.streamVersion());
        return i;
    }

    /** One image rule, summarised (counts rather than the whole whitelist). */
    public static Map<String, Object> rule(ImageRule rule) {
        Map<String, Object> i = new LinkedHashMap<>();
        i.put("name", rule.name());
        i.put("rootfsDigest", rule.rootfsDigest());
        i.put("manifestDigest", rule.manifestDigest().orElse(null));
        i.put("mode", rule.mode().id());
        i.put("execFiles", rule.exec().files().size());
        i.put("execExtraDigests", rule.exec().extraSha256().size());
        i.put("execManifest", rule.exec().manifest().map(m -> m.digest()).orElse(null));
        i.put("protectedPaths", new ArrayList<>(rule.protectedPaths()));
        i.put("writablePaths", new ArrayList<>(rule.writablePaths()));
        i.put("associatedExecution", rule.associatedExecution().size());
        return i;
    }

    public static Map<String, Object> exemption(Exemption exemption) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", exemption.name());
        e.put("annotations", new TreeMap<>(exemption.annotations()));
        e.put("bundlePathPrefix", exemption.bundlePathPrefix().orElse(null));
        e.put("containerIdPattern", exemption.containerIdPattern().orElse(null));
        return e;
    }

    public static Map<String, Object> change(PolicyChange change) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("kind", change.kind().id());
        c.put("stream", change.stream());
        c.put("previousVersion", change.previousVersion());
        c.put("version", change.version());
        c.put("changed", change.changed());
        c.put("generation", change.generation());
        c.put("imageCount", change.imageCount());
        return c;
    }

    /** A trust root: version, expiry, and per role its threshold and key ids. */
    public static Map<String, Object> root(TrustRoot root) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("version", root.version());
        r.put("expires", root.expires().map(Object::toString).orElse(null));
        Map<String, Object> keys = new LinkedHashMap<>();
        for (TrustedKey key : root.keys().values()) {
            keys.put(key.id().hex(), key.algorithm().id());
        }
        r.put("keys", keys);
        Map<String, Object> roles = new LinkedHashMap<>();
        for (Map.Entry<Role, RoleKeys> entry : root.roles().entrySet()) {
            Map<String, Object> role = new LinkedHashMap<>();
            role.put("threshold", entry.getValue().threshold());
            role.put("keyIds", entry.getValue().keyIds().stream().map(KeyId::hex).toList());
            roles.put(entry.getKey().id(), role);
        }
        r.put("roles", roles);
        return r;
    }

    /** A policy status as text, for Gogo and the CLI. */
    @SuppressWarnings("unchecked")
    public static String policyText(Map<String, Object> status) {
        StringBuilder text = new StringBuilder();
        text.append(String.format("policy store %s: %s, trust root v%s, generation %s%n", status.get("directory"),
            status.get("state"), status.get("trustRootVersion"), status.get("generation")));
        text.append(String.format("  in force: %s; %s images, %s revocations, %s exemptions%s%n", status.get("versions"),
            status.get("imageCount"), status.get("revocationCount"), status.get("exemptionCount"),
            status.get("expires") == null ? "" : ", expires " + status.get("expires")));
        for (Object s : (List<Object>) status.get("streams")) {
            Map<String, Object> stream = (Map<String, Object>) s;
            text.append(String.format("  stream %-24s %-10s %-9s v%s (highest accepted v%s) %s images%s%n", stream.get("stream"),
                stream.get("kind"), stream.get("state"), stream.get("version"), stream.get("highestAccepted"),
                stream.get("imageCount"), stream.get("problem") == null ? "" : " - " + stream.get("problem")));
        }
        if (status.get("images") instanceof List<?> images) {
            for (Object o : images) {
                Map<String, Object> image = (Map<String, Object>) o;
                text.append(String.format("  image  %-30s %s %-7s from %s v%s%n", image.get("name"), image.get("rootfsDigest"),
                    image.get("mode"), image.get("stream"), image.get("streamVersion")));
            }
            for (Object o : (List<Object>) status.get("revocations")) {
                text.append("  revoked ").append(o).append('\n');
            }
            for (Object o : (List<Object>) status.get("exemptions")) {
                Map<String, Object> e = (Map<String, Object>) o;
                text.append(String.format("  exempt %s: annotations %s, bundle prefix %s, container id %s%n", e.get("name"),
                    e.get("annotations"), e.get("bundlePathPrefix"), e.get("containerIdPattern")));
            }
        }
        if (status.get("lastRefusal") instanceof Map<?, ?> refusal) {
            text.append(String.format("  last refusal %s: %s (%s)%n", refusal.get("at"), refusal.get("reason"), refusal.get("message")));
        }
        for (Object problem : (List<Object>) status.get("problems")) {
            text.append("  PROBLEM: ").append(problem).append('\n');
        }
        return text.toString();
    }
}
