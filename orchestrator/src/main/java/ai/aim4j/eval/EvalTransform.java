package ai.aim4j.eval;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.modality.cv.util.NDImageUtils;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Path;

/**
 * ml-aim's evaluation transform: resize the short side to {@code ceil(S / 0.875)} with bicubic
 * interpolation, center-crop to {@code S}, scale to [0, 1] and normalize with the ImageNet mean and
 * standard deviation. Images are decoded and resized with DJL's image utilities; the crop offsets
 * round as torchvision's {@code CenterCrop} does.
 *
 * <p>torchvision resizes PIL images with an antialiasing filter when shrinking; torch's bicubic
 * interpolation (DJL's path) does not, so downscaled pixels differ slightly from PIL's.
 */
public final class EvalTransform {
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};
    private static final double CROP_FRACTION = 0.875;

    private final int cropH;
    private final int cropW;
    private final int channels;

    public EvalTransform(int cropH, int cropW, int channels) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("images can be loaded as 1 or 3 channels, not " + channels);
        }
        this.cropH = cropH;
        this.cropW = cropW;
        this.channels = channels;
    }

    /** Loads and transforms one image file to a {@code (C, S, S)} float32 array in {@code manager}. */
    public NDArray load(Path file, NDManager manager) throws IOException {
        Image image;
        try {
            image = ImageFactory.getInstance().fromFile(file);
        } catch (IOException | RuntimeException e) {
            throw new IOException(file + ": not a readable image (" + e.getMessage() + ")", e);
        }
        NDArray hwc = image.toNDArray(manager, channels == 1 ? Image.Flag.GRAYSCALE : Image.Flag.COLOR).toType(DataType.FLOAT32, false);
        return apply(hwc);
    }

    /** Transforms an {@code (H, W, C)} array of 0-255 values. */
    public NDArray apply(NDArray hwc) {
        long h = hwc.getShape().get(0);
        long w = hwc.getShape().get(1);
        int shortTarget = (int) Math.ceil(Math.min(cropH, cropW) / CROP_FRACTION);
        long newH;
        long newW;
        if (h <= w) {
            newH = shortTarget;
            newW = (long) (shortTarget * (double) w / h);
        } else {
            newW = shortTarget;
            newH = (long) (shortTarget * (double) h / w);
        }
        NDArray resized = NDImageUtils.resize(hwc, (int) newW, (int) newH, Image.Interpolation.BICUBIC).clip(0, 255);
        long top = Math.round((newH - cropH) / 2.0);
        long left = Math.round((newW - cropW) / 2.0);
        NDArray crop = resized.get(new NDIndex("{}:{}, {}:{}, :", top, top + cropH, left, left + cropW));
        NDArray chw = crop.div(255f).transpose(2, 0, 1);
        if (channels == 1) {
            return chw.sub(0.5f).div(0.5f);
        }
        return NDImageUtils.normalize(chw, IMAGENET_MEAN, IMAGENET_STD);
    }
}
