package ai.aim4j.data;

import ai.aim4j.arrow.ShardSchema.Encoding;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.arrow.transform.EvalTransform;
import ai.aim4j.arrow.transform.Normalization;
import ai.aim4j.arrow.transform.PretrainTransform;
import ai.aim4j.arrow.transform.ToTensor;
import ai.aim4j.arrow.transform.Transform;
import ai.aim4j.model.config.AimConfig;

/** How shard images become a model's input: as they are when they fit, else resized (augmented when training). */
public final class ModelInput {
    private ModelInput() {}

    /**
     * @param augment {@code auto} (none when the images fit the model, else rrc), {@code none}, {@code rrc}, {@code rrc+jitter}
     */
    public static Transform transform(AimConfig model, ShardSet data, String augment, boolean training) {
        return transform(model.imgSize(), model.channels(), data, augment, training);
    }

    /**
     * The same for a model input of {@code img} = {@code (H, W)} and {@code channels}, without a model.
     *
     * @param augment as above
     */
    public static Transform transform(int[] img, int channels, ShardSet data, String augment, boolean training) {
        Normalization norm = Normalization.imagenetFor(channels);
        int[] raw = data.encoding() == Encoding.RAW ? data.rawShape() : null;
        boolean fits = raw != null && raw[0] == img[0] && raw[1] == img[1];
        String mode = augment.equals("auto") ? (fits ? "none" : "rrc") : augment;
        if (!training || mode.equals("none")) {
            if (fits) {
                return new ToTensor(img[0], img[1], norm);
            }
            requireSquare(img);
            return new EvalTransform(img[0], norm);
        }
        requireSquare(img);
        return new PretrainTransform(img[0], norm, mode.equals("rrc+jitter"));
    }

    private static void requireSquare(int[] img) {
        if (img[0] != img[1]) {
            throw new IllegalArgumentException("resizing transforms make square images; the model takes " + img[0] + "x" + img[1]);
        }
    }
}
