package ai.aim4j.stream;

import ai.aim4j.arrow.Sampler;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code aim4j stream} delivers and where.
 *
 * @param batchSize  images per delivered batch (this rank's batch)
 * @param transform  {@code pretrain} (the trainer's), {@code eval} or {@code none} (stored uint8 pixels)
 * @param augment    the trainer's {@code --augment}: {@code auto}, {@code none}, {@code rrc}, {@code rrc+jitter}
 * @param imageSize  output side in pixels, or null for the stored images' size (224 for encoded images)
 * @param channels   output channels, or null for the stored images' (3 for encoded images)
 * @param steps      batches to deliver, or null for an endless stream
 * @param from       the sampler cursor of the first sample (a batch's {@code cursor} to resume after it)
 * @param slots      batches the consumer and producer may hold at once
 * @param shmRoot    where the ring's private folder is made
 */
public record StreamSettings(Path data, int batchSize, String transform, String augment, Integer imageSize, Integer channels, long seed,
                             int rank, int world, int threads, Long steps, Sampler.Cursor from, int slots, Path shmRoot) {
    public StreamSettings {
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be positive, got " + batchSize);
        }
        if (world < 1 || rank < 0 || rank >= world) {
            throw new IllegalArgumentException("--rank must be in [0, --world), got rank " + rank + " of " + world);
        }
        if (steps != null && steps < 0) {
            throw new IllegalArgumentException("--steps must not be negative, got " + steps);
        }
        if (!List.of("pretrain", "eval", "none").contains(transform)) {
            throw new IllegalArgumentException("--transform must be pretrain, eval or none, got " + transform);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be positive, got " + threads);
        }
        if (imageSize != null && imageSize < 1) {
            throw new IllegalArgumentException("--image-size must be positive, got " + imageSize);
        }
        if (channels != null && channels < 1) {
            throw new IllegalArgumentException("--channels must be positive, got " + channels);
        }
    }
}
