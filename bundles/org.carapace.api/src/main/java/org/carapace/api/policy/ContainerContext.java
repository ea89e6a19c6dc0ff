package org.carapace.api.policy;

import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What the gate knows about a container being created, from the OCI state (runtime-spec, "State"): enough to
 * match {@link Exemption}s.
 *
 * @param containerId the OCI container id, 1 to 1024 characters
 * @param bundle absolute path of the container's bundle directory; normalised here
 * @param annotations the container's annotations; copied
 */
public record ContainerContext(String containerId, Path bundle, Map<String, String> annotations) {

    public ContainerContext {
        Objects.requireNonNull(containerId, "containerId");
        if (containerId.isEmpty() || containerId.length() > 1024) {
            throw new IllegalArgumentException("a container id has 1 to 1024 characters");
        }
        Objects.requireNonNull(bundle, "bundle");
        if (!bundle.isAbsolute()) {
            throw new IllegalArgumentException("the bundle path must be absolute, was " + bundle);
        }
        bundle = bundle.normalize();
        annotations = Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(annotations, "annotations")));
    }
}
