package ai.aim4j.arrow.source;

import ai.aim4j.arrow.DatasetInfo;
import ai.aim4j.arrow.ShardSchema.Encoding;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * torchvision's ImageFolder layout: one sub-folder per class (sorted names give the labels), image
 * files inside (sorted). The files' bytes are kept as they are (JPEG, PNG, ...).
 */
public final class ImageFolder implements ImageSource {
    private static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif", "ppm", "pgm", "tif", "tiff", "webp");
    private final Path root;
    private final List<Path> files = new ArrayList<>();
    private final List<Integer> labels = new ArrayList<>();
    private final DatasetInfo info;

    public ImageFolder(Path root, String split) throws IOException {
        this.root = root;
        List<Path> classes;
        try (Stream<Path> s = Files.list(root)) {
            classes = s.filter(Files::isDirectory).sorted().toList();
        }
        if (classes.isEmpty()) {
            throw new IOException(root + ": no class sub-folders (expected ROOT/CLASS/IMAGE files)");
        }
        for (int k = 0; k < classes.size(); k++) {
            try (Stream<Path> s = Files.walk(classes.get(k))) {
                for (Path f : s.filter(Files::isRegularFile).filter(ImageFolder::isImage).sorted().toList()) {
                    files.add(f);
                    labels.add(k);
                }
            }
        }
        if (files.isEmpty()) {
            throw new IOException(root + ": no image files (" + String.join(", ", EXTENSIONS) + ") in its class folders");
        }
        info = new DatasetInfo(classes.stream().map(p -> p.getFileName().toString()).toList(), split, "imagefolder:" + root);
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    @Override
    public DatasetInfo info() {
        return info;
    }

    @Override
    public long size() {
        return files.size();
    }

    @Override
    public Encoding encoding() {
        return Encoding.ORIGINAL;
    }

    @Override
    public int[] rawShape() {
        return null;
    }

    @Override
    public Sample get(long index) throws IOException {
        Path f = files.get((int) index);
        return new Sample(index, labels.get((int) index), Files.readAllBytes(f), root.relativize(f).toString());
    }
}
