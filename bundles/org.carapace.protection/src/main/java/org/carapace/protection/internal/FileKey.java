package org.carapace.protection.internal;

/**
 * A file's content identity as far as the kernel tells without reading it: device, inode and change time. The
 * change time moves with every write, truncate, chmod or rename of the inode, so a verdict cached under this key
 * is about this content.
 */
record FileKey(long dev, long ino, long ctimeSec, int ctimeNsec) {

    InodeKey inode() {
        return new InodeKey(dev, ino);
    }
}
