package org.carapace.api.policy;

import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A deliberate hole: containers of the platform itself that the gate lets through without an image check, so the
 * platform can never lock itself out at boot (an agent the gate depends on, for example).
 *
 * <p>A container matches when <em>every</em> criterion given matches, and at least one is given:
 * <ul>
 *   <li>{@code annotations}: each key is present in the container's OCI annotations with exactly this value;</li>
 *   <li>{@code bundlePathPrefix}: the container's OCI bundle directory, normalised, is this absolute host path or
 *       lies below it (compared by whole path components);</li>
 *   <li>{@code containerIdPattern}: the container id matches this Java regular expression in full.</li>
 * </ul>
 * An annotation alone is only as strong as the control over who may create containers with it; combine it with a
 * bundle path prefix that only the platform can write. Exemptions live only in the base policy, signed like
 * everything else; an additional policy can neither add, change nor remove one.
 *
 * @param name identifies the exemption in events and status
 * @param annotations required annotations; copied
 * @param bundlePathPrefix required bundle location (absolute, normalised)
 * @param containerIdPattern required container id pattern, at most 256 characters
 */
public record Exemption(String name, Map<String, String> annotations, Optional<String> bundlePathPrefix,
                        Optional<String> containerIdPattern) {

    public Exemption {
        Checks.name("exemption name", name);
        Objects.requireNonNull(annotations, "annotations");
        Objects.requireNonNull(bundlePathPrefix, "bundlePathPrefix");
        Objects.requireNonNull(containerIdPattern, "containerIdPattern");
        annotations.forEach((key, value) -> {
            if (key == null || key.isEmpty() || key.length() > 256 || value == null || value.length() > 1024) {
                throw new IllegalArgumentException("exemption " + name + ": annotation keys are 1-256 and values at most 1024 characters");
            }
        });
        annotations = Collections.unmodifiableMap(new TreeMap<>(annotations));
        bundlePathPrefix.ifPresent(p -> Checks.path("bundlePathPrefix", p));
        containerIdPattern.ifPresent(p -> {
            if (p.isEmpty() || p.length() > 256) {
                throw new IllegalArgumentException("exemption " + name + ": containerIdPattern must have 1-256 characters");
            }
            try {
                Pattern.compile(p);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("exemption " + name + ": containerIdPattern is not a regular expression: "
                    + e.getDescription());
            }
        });
        if (annotations.isEmpty() && bundlePathPrefix.isEmpty() && containerIdPattern.isEmpty()) {
            throw new IllegalArgumentException("exemption " + name + " has no criterion: it would exempt every container");
        }
    }

    /** Whether a container matches every criterion of this exemption. */
    public boolean matches(ContainerContext container) {
        for (Map.Entry<String, String> required : annotations.entrySet()) {
            if (!required.getValue().equals(container.annotations().get(required.getKey()))) {
                return false;
            }
        }
        if (bundlePathPrefix.isPresent() && !container.bundle().startsWith(Path.of(bundlePathPrefix.get()))) {
            return false;
        }
        return containerIdPattern.isEmpty() || Pattern.compile(containerIdPattern.get()).matcher(container.containerId()).matches();
    }
}
