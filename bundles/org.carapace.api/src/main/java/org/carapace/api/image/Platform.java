package org.carapace.api.image;

import java.util.Locale;
import java.util.Optional;

/**
 * The platform of an image (image-spec image-index.md, "platform"): operating system, architecture and optional
 * variant, written {@code os/architecture[/variant]}, e.g. {@code linux/arm64/v8}.
 */
public record Platform(String os, String architecture, Optional<String> variant) {

    public Platform {
        if (os == null || os.isBlank() || architecture == null || architecture.isBlank()) {
            throw new IllegalArgumentException("platform needs an os and an architecture");
        }
        variant = variant == null ? Optional.empty() : variant.filter(v -> !v.isBlank());
    }

    /**
     * Parses {@code os/architecture[/variant]}.
     *
     * @throws IllegalArgumentException for any other shape
     */
    public static Platform parse(String text) {
        String[] parts = text == null ? new String[0] : text.split("/", -1);
        if (parts.length < 2 || parts.length > 3) {
            throw new IllegalArgumentException("platform '" + text + "' is not os/architecture[/variant]");
        }
        return new Platform(parts[0], parts[1], parts.length == 3 ? Optional.of(parts[2]) : Optional.empty());
    }

    /** The platform of this JVM, in OCI (Go) names: {@code linux/amd64}, {@code linux/arm64}, ... */
    public static Platform current() {
        String os = System.getProperty("os.name", "linux").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "amd64").toLowerCase(Locale.ROOT);
        String goArch = switch (arch) {
            case "x86_64", "amd64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            case "arm" -> "arm";
            case "x86", "i386", "i686" -> "386";
            case "ppc64le" -> "ppc64le";
            case "s390x" -> "s390x";
            case "riscv64" -> "riscv64";
            default -> arch;
        };
        return new Platform(os.startsWith("linux") ? "linux" : os, goArch, Optional.empty());
    }

    @Override
    public String toString() {
        return os + "/" + architecture + variant.map(v -> "/" + v).orElse("");
    }
}
