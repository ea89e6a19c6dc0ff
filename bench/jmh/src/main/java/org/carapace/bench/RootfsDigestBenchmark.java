package org.carapace.bench;

import java.util.concurrent.TimeUnit;
import org.carapace.api.image.Digest;
import org.carapace.api.image.HashOptions;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageSource;
import org.carapace.imagehash.internal.ImageHashEngine;
import org.carapace.imagehash.internal.ImageLimits;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The rootfs digest of one image source (bench/imagehash.sh passes a Debian minbase): {@code cold} reads every file
 * (strict mode: the file digest cache is ignored; the page cache is warm), {@code warm} is what a long-running gate
 * does on its second and later checks of the same root file system (the IMA-style cache answers).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class RootfsDigestBenchmark {

    @Param("")
    public String source;

    @Param("0")
    public int threads;

    private ImageHashEngine engine;
    private ImageSource image;

    @Setup(Level.Trial)
    public void setUp() throws ImageException {
        engine = new ImageHashEngine(ImageLimits.DEFAULTS, threads, 1_000_000);
        image = ImageSource.parse(source);
        engine.hash(image, HashOptions.defaults());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
    }

    @Benchmark
    public Digest cold() throws ImageException {
        return engine.hash(image, HashOptions.defaults().withStrict(true)).rootfsDigest();
    }

    @Benchmark
    public Digest warm() throws ImageException {
        return engine.hash(image, HashOptions.defaults()).rootfsDigest();
    }
}
