package org.carapace.imagehash.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.carapace.api.admin.AdminCommand;
import org.carapace.api.admin.AdminException;
import org.carapace.api.image.BlobVerificationException;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageHashResult;
import org.carapace.api.image.ImageSource;
import org.carapace.api.image.InvalidImageSourceException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code image.digest} on the admin socket ({@code carapace image digest --runtime SOURCE}): the runtime's
 * service hashes the image, with its warm file digest cache. Arguments: {@code source} (required),
 * {@code exclusions} (list of paths), {@code strict} (boolean).
 */
@Component(service = AdminCommand.class, property = {
    AdminCommand.COMMAND_NAME + "=image.digest",
    AdminCommand.COMMAND_DESCRIPTION + "=rootfs digest of an image, computed by the runtime (warm cache)"})
public final class ImageDigestCommand implements AdminCommand {

    private final ImageHasherComponent hasher;

    @Activate
    public ImageDigestCommand(@Reference ImageHasherComponent hasher) {
        this.hasher = hasher;
    }

    @Override
    public Map<String, Object> execute(Map<String, Object> arguments) throws AdminException {
        Object source = arguments.get("source");
        if (!(source instanceof String)) {
            throw new AdminException(AdminException.Code.BAD_REQUEST, "'source' (an image source string) is required");
        }
        List<String> exclusions = new ArrayList<>();
        Object excluded = arguments.getOrDefault("exclusions", List.of());
        if (!(excluded instanceof List<?> list)) {
            throw new AdminException(AdminException.Code.BAD_REQUEST, "'exclusions' must be a list of paths");
        }
        for (Object item : list) {
            exclusions.add(String.valueOf(item));
        }
        boolean strict = Boolean.TRUE.equals(arguments.get("strict"));
        try {
            HashOptions options = HashOptions.defaults().withExclusions(exclusions).withStrict(strict);
            ImageHashResult result = hasher.hash(ImageSource.parse((String) source), options);
            return summary(result, hasher.engine().cache());
        } catch (InvalidImageSourceException | IllegalArgumentException e) {
            throw new AdminException(AdminException.Code.BAD_REQUEST, e.getMessage());
        } catch (BlobVerificationException e) {
            throw new AdminException(AdminException.Code.CHECK_FAILED, e.getMessage());
        } catch (ImageException e) {
            throw new AdminException(AdminException.Code.BAD_REQUEST, e.getMessage());
        }
    }

    /** The JSON summary the CLI prints (also used by {@code carapace image digest} without --runtime). */
    public static Map<String, Object> summary(ImageHashResult result, FileDigestCache cache) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("source", result.source());
        summary.put("rootfsDigest", result.rootfsDigest().toString());
        summary.put("manifestDigest", result.manifestDigest().map(Object::toString).orElse(null));
        summary.put("configDigest", result.configDigest().map(Object::toString).orElse(null));
        summary.put("files", result.fileCount());
        summary.put("bytes", result.byteCount());
        summary.put("entries", result.manifest().entries().size());
        summary.put("xattrNames", result.manifest().xattrNames());
        summary.put("layers", result.statistics().layers());
        summary.put("bytesRead", result.statistics().bytesRead());
        summary.put("cacheHits", result.statistics().cacheHits());
        summary.put("cacheMisses", result.statistics().cacheMisses());
        summary.put("elapsedMillis", result.statistics().elapsed().toNanos() / 1e6);
        if (cache != null) {
            summary.put("cacheSize", cache.size());
        }
        return summary;
    }
}
