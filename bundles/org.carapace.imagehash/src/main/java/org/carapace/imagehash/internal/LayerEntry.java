package org.carapace.imagehash.internal;

import java.util.List;
import org.carapace.api.image.Digest;
import org.carapace.api.image.Xattr;

/**
 * One tar entry of a layer, reduced to what the rootfs digest covers: the content is replaced by its SHA-256 and
 * only the covered extended attributes are kept.
 */
record LayerEntry(String name, char type, int mode, long uid, long gid, long size, Digest content, String linkName,
                  long devMajor, long devMinor, List<Xattr> xattrs) {

    boolean isRegular() {
        return type == '0' || type == '\0' || type == '7';
    }
}
