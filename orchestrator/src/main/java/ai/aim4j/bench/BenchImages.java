package ai.aim4j.bench;

import ai.aim4j.model.config.AimConfig;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/** The benchmarks' input images: standard normal pixels, as normalized images are, drawn once and reused by every call. */
final class BenchImages {
    private BenchImages() {}

    /** {@code batch} images of {@code config}'s size, float32 in native order, ready for {@code NDManager.create}. */
    static ByteBuffer random(AimConfig config, int batch, long seed) {
        ByteBuffer pixels = ByteBuffer.allocateDirect(batch * config.channels() * config.imgSize()[0] * config.imgSize()[1] * 4)
                .order(ByteOrder.nativeOrder());
        SplittableRandom rng = new SplittableRandom(seed);
        while (pixels.hasRemaining()) {
            pixels.putFloat((float) rng.nextGaussian());
        }
        return pixels.flip();
    }
}
