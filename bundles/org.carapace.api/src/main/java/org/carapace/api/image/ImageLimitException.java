package org.carapace.api.image;

/**
 * A configured limit was exceeded (sizes, counts, depths): the input may be hostile (a decompression bomb, a huge
 * declared size, deeply nested JSON) or the limits too tight for a legitimate image.
 */
public class ImageLimitException extends ImageException {
    private static final long serialVersionUID = 1L;

    private final String limit;
    private final long maximum;
    private final long actual;
    private final String location;

    /**
     * @param limit    the limit's configuration name, e.g. {@code maxImageBytes}
     * @param maximum  its configured value
     * @param actual   the value seen (at least; reading stops at the first excess)
     * @param location what was being read
     */
    public ImageLimitException(String limit, long maximum, long actual, String location) {
        super(location + ": limit " + limit + " = " + maximum + " exceeded (" + actual + ")");
        this.limit = limit;
        this.maximum = maximum;
        this.actual = actual;
        this.location = location;
    }

    public String limit() {
        return limit;
    }

    public long maximum() {
        return maximum;
    }

    public long actual() {
        return actual;
    }

    public String location() {
        return location;
    }
}
