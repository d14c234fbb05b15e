package ai.aim4j.arrow.source;

import ai.aim4j.arrow.DatasetInfo;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A deterministic procedural dataset with ten learnable classes, so every command works on a machine
 * with no data: each image is a shape or texture (the class) drawn at a random position, scale and
 * colour on a random background, with pixel noise. Sample {@code i} depends only on {@code (seed, i)}.
 */
public final class Synthetic extends RawImageSource {
    public static final List<String> CLASSES = List.of("disk", "square", "triangle", "cross", "ring",
            "horizontal-stripes", "vertical-stripes", "diagonal-stripes", "checkerboard", "dots");
    private final int size;
    private final long seed;

    public Synthetic(long count, int size, long seed, String split) {
        super(new DatasetInfo(CLASSES, split, "synthetic:" + count + "," + size + " seed " + seed), check(count, size), size, size, 3);
        this.size = size;
        this.seed = seed;
    }

    private static long check(long count, int size) {
        if (count <= 0 || size < 8) {
            throw new IllegalArgumentException("synthetic data needs a positive count and images of at least 8 px");
        }
        return count;
    }

    @Override
    public Sample get(long index) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
        int label = r.nextInt(CLASSES.size());
        int[] bg = {r.nextInt(40, 120), r.nextInt(40, 120), r.nextInt(40, 120)};
        int[] fg = {r.nextInt(140, 256), r.nextInt(140, 256), r.nextInt(140, 256)};
        double scale = size * r.nextDouble(0.25, 0.45);
        double cx = r.nextDouble(scale, size - scale);
        double cy = r.nextDouble(scale, size - scale);
        double period = r.nextDouble(3, 6);
        byte[] img = new byte[size * size * 3];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                boolean on = inside(label, (x + 0.5 - cx) / scale, (y + 0.5 - cy) / scale, x, y, period);
                for (int c = 0; c < 3; c++) {
                    int v = (on ? fg[c] : bg[c]) + r.nextInt(-12, 13);
                    img[(y * size + x) * 3 + c] = (byte) Math.clamp(v, 0, 255);
                }
            }
        }
        return new Sample(index, label, img, null);
    }

    /** Whether pixel (x, y), at (u, v) in shape units from the centre, is foreground for a class. */
    private static boolean inside(int label, double u, double v, int x, int y, double period) {
        double r = Math.hypot(u, v);
        boolean inBox = Math.abs(u) <= 1 && Math.abs(v) <= 1;
        return switch (label) {
            case 0 -> r <= 1;
            case 1 -> Math.abs(u) <= 0.8 && Math.abs(v) <= 0.8;
            case 2 -> v <= 0.9 && v >= -0.9 && Math.abs(u) <= (v + 0.9) / 1.8;
            case 3 -> (Math.abs(u) <= 0.25 || Math.abs(v) <= 0.25) && inBox;
            case 4 -> r <= 1 && r >= 0.6;
            case 5 -> inBox && ((int) Math.floor(y / period)) % 2 == 0;
            case 6 -> inBox && ((int) Math.floor(x / period)) % 2 == 0;
            case 7 -> inBox && ((int) Math.floor((x + y) / period)) % 2 == 0;
            case 8 -> inBox && (((int) Math.floor(x / period) + (int) Math.floor(y / period)) % 2 == 0);
            default -> inBox && (x % (int) Math.ceil(period) < 2 && y % (int) Math.ceil(period) < 2);
        };
    }
}
