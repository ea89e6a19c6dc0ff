package org.carapace.imagehash.internal;

import java.util.Map;

/**
 * One header of a tar archive after PAX and GNU extensions are applied.
 *
 * @param name      the entry name as stored (decoded as UTF-8, not yet normalised)
 * @param type      the POSIX type flag: {@code '0'} regular (also {@code '\0'} and {@code '7'}), {@code '1'} hard
 *                  link, {@code '2'} symbolic link, {@code '3'} character device, {@code '4'} block device,
 *                  {@code '5'} directory, {@code '6'} FIFO
 * @param mode      permission bits ({@code 07777})
 * @param uid       numeric owner
 * @param gid       numeric group
 * @param size      content bytes that follow the header (0 for everything but regular files)
 * @param linkName  link target of hard and symbolic links, else ""
 * @param devMajor  device major number
 * @param devMinor  device minor number
 * @param xattrs    extended attributes from {@code SCHILY.xattr.*} / {@code LIBARCHIVE.xattr.*} PAX records
 * @param offset    offset of the header in the (uncompressed) archive
 */
record TarEntry(String name, char type, int mode, long uid, long gid, long size, String linkName, long devMajor,
                long devMinor, Map<String, byte[]> xattrs, long offset) {

    boolean isRegular() {
        return type == '0' || type == '\0' || type == '7';
    }
}
