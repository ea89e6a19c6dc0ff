package org.carapace.api.enforcement;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * The OCI container state a runtime passes to its hooks (OCI runtime-spec, runtime.md "State"): the container id,
 * the absolute path of its bundle directory, the init process id (0 when not yet known) and its annotations.
 *
 * @param ociVersion the runtime-spec version the state follows
 * @param id the container id, unique per runtime
 * @param status the lifecycle status, e.g. {@code creating}
 * @param pid the container's init process as seen from the runtime namespace, 0 when absent
 * @param bundle absolute path of the OCI bundle ({@code config.json} and usually the rootfs)
 * @param annotations the container's annotations; copied
 */
public record ContainerState(String ociVersion, String id, String status, long pid, Path bundle,
                             Map<String, String> annotations) {

    public ContainerState {
        Objects.requireNonNull(ociVersion, "ociVersion");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(bundle, "bundle");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("container id must not be empty");
        }
        if (!bundle.isAbsolute()) {
            throw new IllegalArgumentException("bundle must be an absolute path, was " + bundle);
        }
        if (pid < 0) {
            throw new IllegalArgumentException("pid must not be negative, was " + pid);
        }
        annotations = Map.copyOf(annotations == null ? Map.of() : annotations);
    }
}
