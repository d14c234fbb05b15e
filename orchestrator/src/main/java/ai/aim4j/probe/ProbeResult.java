package ai.aim4j.probe;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * What a probe run measured ({@code OUT/results.json}): the protocol's sizes and timings, every grid
 * point on the held-out and test parts, and the point chosen on the held-out part.
 *
 * @param trunk             what was probed
 * @param probeLayers       the blocks averaged into the probe's input
 * @param trainImages       images of the training part (0 when streamed with augmentation)
 * @param augment           the augmentation of the training part
 * @param heldOutImages     images of the held-out part
 * @param testImages        images of the test part
 * @param epochs            passes over the training part
 * @param batchSize         images per step
 * @param featureSeconds    time to compute (or read) the cached features
 * @param trainSeconds      time to train every head of the grid
 * @param imagesPerSecond   training images per second, all heads together
 * @param grid              every grid point's accuracy and loss
 * @param best              the grid point chosen on the held-out part
 */
public record ProbeResult(@JsonProperty("trunk") String trunk, @JsonProperty("probe_layers") String probeLayers,
                          @JsonProperty("train_images") long trainImages, @JsonProperty("augment") String augment,
                          @JsonProperty("held_out_images") long heldOutImages, @JsonProperty("test_images") long testImages,
                          @JsonProperty("epochs") int epochs, @JsonProperty("batch_size") int batchSize,
                          @JsonProperty("feature_seconds") double featureSeconds, @JsonProperty("train_seconds") double trainSeconds,
                          @JsonProperty("train_images_per_s_all_heads") double imagesPerSecond, @JsonProperty("grid") List<Point> grid,
                          @JsonProperty("best") Point best) {
    /** One grid point's numbers. */
    public record Point(@JsonProperty("lr") double lr, @JsonProperty("weight_decay") double weightDecay,
                        @JsonProperty("held_out_top1") double heldOutTop1, @JsonProperty("held_out_loss") double heldOutLoss,
                        @JsonProperty("test_top1") double testTop1, @JsonProperty("test_loss") double testLoss) {}
}
