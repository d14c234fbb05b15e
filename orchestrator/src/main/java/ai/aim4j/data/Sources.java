package ai.aim4j.data;

import ai.aim4j.arrow.source.FashionMnist;
import ai.aim4j.arrow.source.ImageFolder;
import ai.aim4j.arrow.source.ImageSource;
import ai.aim4j.arrow.source.NpyImages;
import ai.aim4j.arrow.source.Synthetic;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Parses {@code --from} specs: {@code fashion-mnist[:DIR]}, {@code imagefolder:DIR},
 * {@code npy:IMAGES.npy[,LABELS.npy]}, {@code synthetic:N[,SIZE]}.
 */
public final class Sources {
    private Sources() {}

    public static ImageSource open(String spec, String split, long seed) throws IOException {
        int colon = spec.indexOf(':');
        String kind = colon < 0 ? spec : spec.substring(0, colon);
        String arg = colon < 0 ? "" : spec.substring(colon + 1);
        return switch (kind) {
            case "fashion-mnist" -> FashionMnist.open(arg.isEmpty() ? FashionMnist.DEFAULT_DIR : Path.of(arg), split);
            case "imagefolder" -> new ImageFolder(Path.of(require(spec, arg)), split);
            case "npy" -> {
                String[] parts = require(spec, arg).split(",", 2);
                yield NpyImages.open(Path.of(parts[0]), parts.length > 1 ? Path.of(parts[1]) : null, split);
            }
            case "synthetic" -> {
                String[] parts = require(spec, arg).split(",", 2);
                try {
                    yield new Synthetic(Long.parseLong(parts[0].strip()), parts.length > 1 ? Integer.parseInt(parts[1].strip()) : 32,
                            seed + (split.equals("train") ? 0 : 1_000_003), split);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("synthetic:N[,SIZE] takes integers, got '" + arg + "'");
                }
            }
            default -> throw new IllegalArgumentException("unknown source '" + kind
                    + "'; use fashion-mnist[:DIR], imagefolder:DIR, npy:IMAGES.npy[,LABELS.npy] or synthetic:N[,SIZE]");
        };
    }

    private static String require(String spec, String arg) {
        if (arg.isBlank()) {
            throw new IllegalArgumentException("source '" + spec + "' needs an argument after the colon");
        }
        return arg;
    }
}
