package org.carapace.imagehash.internal;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.carapace.api.image.Digest;
import org.carapace.api.image.DigestAlgorithm;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageLimitException;
import org.carapace.api.image.Xattr;

/** Reads one layer's tar stream into {@link LayerEntry}s, hashing each regular file's content once as it passes. */
final class LayerReader {

    private LayerReader() {
    }

    /**
     * @param tar        the decompressed layer
     * @param location   the layer, for messages
     * @param xattrNames the covered extended attributes
     * @param entries    entries left for the whole image (decremented)
     */
    static List<LayerEntry> read(InputStream tar, String location, ImageLimits limits, Set<String> xattrNames,
                                 AtomicLong entries) throws IOException, ImageException {
        TarReader reader = new TarReader(tar, location, limits);
        List<LayerEntry> result = new ArrayList<>();
        byte[] buffer = new byte[1 << 16];
        MessageDigest sha256 = DigestAlgorithm.SHA256.newMessageDigest();
        TarEntry entry;
        while ((entry = reader.next()) != null) {
            if (entries.decrementAndGet() < 0) {
                throw new ImageLimitException("maxEntries", limits.maxEntries(), limits.maxEntries() + 1L, location);
            }
            Digest content = null;
            if (entry.isRegular()) {
                sha256.reset();
                int n;
                while ((n = reader.read(buffer, 0, buffer.length)) >= 0) {
                    sha256.update(buffer, 0, n);
                }
                content = new Digest(DigestAlgorithm.SHA256, sha256.digest());
            }
            List<Xattr> xattrs = new ArrayList<>();
            for (Map.Entry<String, byte[]> xattr : entry.xattrs().entrySet()) {
                if (xattrNames.contains(xattr.getKey())) {
                    xattrs.add(new Xattr(xattr.getKey(), xattr.getValue()));
                }
            }
            result.add(new LayerEntry(entry.name(), entry.type(), entry.mode(), entry.uid(), entry.gid(),
                entry.isRegular() ? entry.size() : 0, content, entry.linkName(), entry.devMajor(), entry.devMinor(), xattrs));
        }
        reader.drain();
        return result;
    }
}
