package org.carapace.protection.internal;

/** A file's identity independent of its content: device and inode (what path-based rules resolve to). */
record InodeKey(long dev, long ino) {
}
