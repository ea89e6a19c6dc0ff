package org.carapace.imagehash.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Carapace image hashing",
    description = "Worker threads, the file digest cache and the limits that bound hostile images.")
@interface ImageHashConfiguration {

    String PID = "org.carapace.imagehash";

    @AttributeDefinition(name = "Threads", description = "Worker threads for layers and directory walks; 0 = one per processor.")
    int threads() default 0;

    @AttributeDefinition(name = "Cache entries",
        description = "Files whose content digest is remembered (keyed by device, inode, size, mtime, ctime); 0 disables "
            + "the cache. About 200 bytes each, in memory only.")
    int cacheEntries() default 200_000;

    @AttributeDefinition(name = "Max image bytes", description = "Uncompressed bytes of all layers of one image, or of one directory tree.")
    long maxImageBytes() default 64L << 30;

    @AttributeDefinition(name = "Max entry bytes", description = "Declared size of one tar entry or one file.")
    long maxEntryBytes() default 16L << 30;

    @AttributeDefinition(name = "Max entries", description = "Entries of one image or directory tree.")
    int maxEntries() default 2_000_000;

    @AttributeDefinition(name = "Max layers", description = "Layers of one image.")
    int maxLayers() default 256;

    @AttributeDefinition(name = "Max JSON bytes", description = "Size of one index, manifest, config or config.json.")
    int maxJsonBytes() default 4 << 20;

    @AttributeDefinition(name = "Max JSON depth", description = "Nesting depth of one JSON document.")
    int maxJsonDepth() default 64;

    @AttributeDefinition(name = "Max index depth", description = "Image indexes nested in image indexes.")
    int maxIndexDepth() default 8;

    @AttributeDefinition(name = "Max path bytes", description = "UTF-8 bytes of one path or link target.")
    int maxPathBytes() default 4096;

    @AttributeDefinition(name = "Max path depth", description = "Components of one path.")
    int maxPathDepth() default 256;

    @AttributeDefinition(name = "Max PAX header bytes", description = "Size of one PAX extended header or GNU long name.")
    int maxPaxHeaderBytes() default 1 << 20;

    @AttributeDefinition(name = "Max xattr bytes", description = "Size of one extended attribute value.")
    int maxXattrBytes() default 64 << 10;

    @AttributeDefinition(name = "Max manifest bytes", description = "Size of one per-file manifest JSON document.")
    long maxManifestBytes() default 256L << 20;
}
