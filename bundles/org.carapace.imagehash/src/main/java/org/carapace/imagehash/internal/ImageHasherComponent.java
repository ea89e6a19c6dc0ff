package org.carapace.imagehash.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.carapace.api.image.BlobVerificationReport;
import org.carapace.api.image.FileManifest;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.HashProgress;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageHashResult;
import org.carapace.api.image.ImageHasher;
import org.carapace.api.image.ImageSource;
import org.carapace.api.image.ManifestDiff;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The {@link ImageHasher} service: one {@link ImageHashEngine} (worker pool and file digest cache) for the life of
 * the configuration, so the gate's repeated checks of the same root file systems hit a warm cache. The
 * configuration is required: its limits are security settings.
 */
@Component(service = {ImageHasher.class, ImageHasherComponent.class}, configurationPid = ImageHashConfiguration.PID,
    configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = ImageHashConfiguration.class)
public final class ImageHasherComponent implements ImageHasher {

    private final ImageHashEngine engine;

    @Activate
    public ImageHasherComponent(ImageHashConfiguration config) {
        this(new ImageLimits(config.maxImageBytes(), config.maxEntryBytes(), config.maxEntries(), config.maxLayers(),
            config.maxJsonBytes(), config.maxJsonDepth(), config.maxIndexDepth(), config.maxPathBytes(), config.maxPathDepth(),
            config.maxPaxHeaderBytes(), config.maxXattrBytes(), config.maxManifestBytes()), config.threads(), config.cacheEntries());
    }

    ImageHasherComponent(ImageLimits limits, int threads, int cacheEntries) {
        this.engine = new ImageHashEngine(limits, threads, cacheEntries);
    }

    @Deactivate
    void deactivate() {
        engine.close();
    }

    /** The engine, for the admin command's cache statistics. */
    ImageHashEngine engine() {
        return engine;
    }

    @Override
    public ImageHashResult hash(ImageSource source, HashOptions options) throws ImageException {
        return engine.hash(source, options);
    }

    @Override
    public ImageHashResult hash(ImageSource source, HashOptions options, HashProgress progress) throws ImageException {
        return engine.hash(source, options, progress);
    }

    @Override
    public BlobVerificationReport verifyBlobs(ImageSource source) throws ImageException {
        return engine.verifyBlobs(source);
    }

    @Override
    public FileManifest exclude(FileManifest manifest, List<String> exclusions) {
        return engine.exclude(manifest, exclusions);
    }

    @Override
    public ManifestDiff diff(FileManifest expected, FileManifest actual) {
        return engine.diff(expected, actual);
    }

    @Override
    public void writeManifest(FileManifest manifest, OutputStream out) throws IOException {
        engine.writeManifest(manifest, out);
    }

    @Override
    public FileManifest readManifest(InputStream in) throws ImageException {
        return engine.readManifest(in);
    }
}
