package org.carapace.api.image;

/**
 * An image's data is malformed: JSON that does not parse or lacks required fields, a corrupt tar header, an
 * unsupported entry type or compression, a name that is not UTF-8.
 */
public class ImageFormatException extends ImageException {
    private static final long serialVersionUID = 1L;

    private final String location;

    /**
     * @param location what was being read, e.g. {@code blob sha256:... (manifest)} or {@code layer 2 entry etc/passwd}
     * @param problem  what is wrong with it
     */
    public ImageFormatException(String location, String problem) {
        super(location + ": " + problem);
        this.location = location;
    }

    public ImageFormatException(String location, String problem, Throwable cause) {
        super(location + ": " + problem, cause);
        this.location = location;
    }

    public String location() {
        return location;
    }
}
