package org.carapace.cli.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.image.BlobVerificationException;
import org.carapace.api.image.FileManifest;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.HashProgress;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageLimitException;
import org.carapace.api.image.ImageSource;
import org.carapace.api.image.InvalidImageSourceException;
import org.carapace.api.image.Platform;
import org.carapace.api.image.UnsafeEntryException;
import org.carapace.cli.CliException;
import org.carapace.imagehash.internal.ImageHashEngine;
import org.carapace.imagehash.internal.ImageLimits;
import picocli.CommandLine.Option;

/** Options and helpers the image commands share: the engine (no OSGi), hashing options, exit-code mapping. */
public final class ImageCli {

    @Option(names = "--exclude", paramLabel = "PATH",
        description = "Leave PATH and everything below it out of the digest (repeatable). A bundle: source excludes its "
            + "mount destinations by itself.")
    List<String> exclusions = new ArrayList<>();

    @Option(names = "--xattr", paramLabel = "NAME",
        description = "Extended attribute the digest covers (repeatable; replaces the default security.capability).")
    List<String> xattrs = new ArrayList<>();

    @Option(names = "--no-xattrs", description = "Cover no extended attributes.")
    boolean noXattrs;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
        description = "Image to take from a multi-platform index (default: this machine's).")
    String platform;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: one per processor).")
    int threads;

    HashOptions options() throws CliException {
        try {
            Set<String> names = noXattrs ? Set.of() : xattrs.isEmpty() ? HashOptions.DEFAULT_XATTRS : Set.copyOf(xattrs);
            HashOptions options = new HashOptions(exclusions, names, true, Optional.empty());
            return platform == null ? options : options.withPlatform(Platform.parse(platform));
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
    }

    /** A fresh engine for one command; the CLI has no use for a cache across runs. */
    ImageHashEngine engine() throws CliException {
        if (threads < 0) {
            throw CliException.usage("--threads must not be negative");
        }
        return new ImageHashEngine(ImageLimits.DEFAULTS, threads, 0);
    }

    static ImageSource source(String spec) throws CliException {
        try {
            return ImageSource.parse(spec);
        } catch (InvalidImageSourceException e) {
            throw CliException.usage(e.getMessage());
        }
    }

    /** The same source with an absolute path, for a runtime whose working directory is not ours. */
    static ImageSource absolute(ImageSource source) {
        if (source instanceof ImageSource.OciLayout s) {
            return new ImageSource.OciLayout(s.directory().toAbsolutePath(), s.reference());
        }
        if (source instanceof ImageSource.OciArchive s) {
            return new ImageSource.OciArchive(s.file().toAbsolutePath(), s.reference());
        }
        if (source instanceof ImageSource.DockerArchive s) {
            return new ImageSource.DockerArchive(s.file().toAbsolutePath(), s.reference());
        }
        if (source instanceof ImageSource.RootfsDirectory s) {
            return new ImageSource.RootfsDirectory(s.directory().toAbsolutePath());
        }
        ImageSource.RuntimeBundle bundle = (ImageSource.RuntimeBundle) source;
        return new ImageSource.RuntimeBundle(bundle.directory().toAbsolutePath());
    }

    /** Exit 1 for an image that fails a check or is refused; 2 for unreadable or malformed input. */
    static CliException failure(ImageException e) {
        if (e instanceof BlobVerificationException || e instanceof UnsafeEntryException || e instanceof ImageLimitException) {
            return new CliException(CliException.CHECK_FAILED, e.getMessage(), e);
        }
        return new CliException(CliException.USAGE, e.getMessage(), e);
    }

    /** Whether the argument names a manifest JSON file rather than an image source. */
    static boolean isManifestFile(String argument) {
        if (argument.matches("^(oci|oci-archive|docker-archive|dir|bundle):.*")) {
            return false;
        }
        return Files.isRegularFile(Path.of(argument));
    }

    static FileManifest readManifest(ImageHashEngine engine, String file) throws CliException {
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            return engine.readManifest(in, file);
        } catch (IOException e) {
            throw CliException.usage("cannot read " + file + ": " + e.getMessage());
        } catch (ImageException e) {
            throw failure(e);
        }
    }

    /** A progress bar on stderr, only when the terminal is interactive and only after half a second. */
    static HashProgress progress(boolean enabled, PrintWriter err) {
        if (!enabled || System.console() == null) {
            return HashProgress.NONE;
        }
        long start = System.nanoTime();
        return new HashProgress() {
            private long lastDraw;

            @Override
            public synchronized void progress(long done, long total) {
                long now = System.nanoTime();
                if (now - start < 500_000_000L || now - lastDraw < 100_000_000L) {
                    return;
                }
                lastDraw = now;
                String text;
                if (total > 0) {
                    int width = 30;
                    int filled = (int) Math.min(width, done * width / total);
                    text = String.format(Locale.ROOT, "[%s%s] %3d%% %s", "#".repeat(filled), " ".repeat(width - filled),
                        Math.min(100, done * 100 / total), megabytes(done));
                } else {
                    text = "hashing ... " + megabytes(done);
                }
                err.print("\r" + text + "   ");
                err.flush();
            }
        };
    }

    static void clearProgress(HashProgress progress, PrintWriter err) {
        if (progress != HashProgress.NONE) {
            err.print("\r" + " ".repeat(60) + "\r");
            err.flush();
        }
    }

    static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}
