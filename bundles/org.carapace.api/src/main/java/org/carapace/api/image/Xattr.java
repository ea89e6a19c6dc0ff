package org.carapace.api.image;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One extended attribute of a file: its full name (with namespace, e.g. {@code security.capability}) and its raw
 * value.
 *
 * @param name  the attribute name, 1 to 255 bytes of UTF-8 without NUL
 * @param value the raw value; copied in and out
 */
public record Xattr(String name, byte[] value) {

    public Xattr {
        if (name == null || name.isEmpty() || name.indexOf('\0') >= 0
            || name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 255) {
            throw new IllegalArgumentException("invalid xattr name '" + name + "'");
        }
        if (value == null) {
            throw new IllegalArgumentException("xattr " + name + " has no value");
        }
        value = value.clone();
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    /** The value as lowercase hex. */
    public String hex() {
        return HexFormat.of().formatHex(value);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Xattr x && x.name.equals(name) && Arrays.equals(x.value, value);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return name + "=" + hex();
    }
}
