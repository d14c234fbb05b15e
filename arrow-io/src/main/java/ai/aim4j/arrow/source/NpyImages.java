package ai.aim4j.arrow.source;

import ai.aim4j.arrow.DatasetInfo;
import ai.aim4j.files.NpyHeader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Images exported from Python or JAX as {@code .npy}: uint8 {@code (N, H, W)}, {@code (N, H, W, C)}
 * or channels-first {@code (N, C, H, W)}, with optional integer labels {@code (N,)}. A 4-D array is
 * channels-last when its last dimension is 1, 3 or 4, else channels-first when its second is 1 or 3.
 * Both files are memory-mapped, so arrays of any size are read without loading them whole.
 */
public final class NpyImages extends RawImageSource {
    private final Arena arena;
    private final MemorySegment pixels;
    private final long[] labels;
    private final boolean channelsFirst;

    private NpyImages(DatasetInfo info, Arena arena, MemorySegment pixels, long[] labels, int[] hwc, boolean channelsFirst) {
        super(info, labels.length, hwc[0], hwc[1], hwc[2]);
        this.arena = arena;
        this.pixels = pixels;
        this.labels = labels;
        this.channelsFirst = channelsFirst;
    }

    /** Maps the images (and labels, or null for all-zero labels) and checks their shapes. */
    public static NpyImages open(Path images, Path labelFile, String split) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment img = map(images, arena);
            NpyHeader hi = header(images, img);
            if (!hi.descr().endsWith("u1")) {
                throw new IOException(images + ": images must be uint8 (dtype '|u1'), got '" + hi.descr() + "'");
            }
            if (hi.fortranOrder()) {
                throw new IOException(images + ": Fortran-order arrays are not supported; save with np.ascontiguousarray");
            }
            long[] s = hi.shape();
            boolean channelsFirst = false;
            int[] hwc;
            if (s.length == 3) {
                hwc = new int[] {(int) s[1], (int) s[2], 1};
            } else if (s.length == 4 && (s[3] == 1 || s[3] == 3 || s[3] == 4)) {
                hwc = new int[] {(int) s[1], (int) s[2], (int) s[3]};
            } else if (s.length == 4 && (s[1] == 1 || s[1] == 3)) {
                channelsFirst = true;
                hwc = new int[] {(int) s[2], (int) s[3], (int) s[1]};
            } else {
                throw new IOException(images + ": expected (N, H, W), (N, H, W, C) or (N, C, H, W) with C of 1, 3 or 4; got "
                        + Arrays.toString(s));
            }
            long n = s[0];
            long need = n * hwc[0] * hwc[1] * hwc[2];
            if (img.byteSize() - hi.dataOffset() != need) {
                throw new IOException(images + ": holds " + (img.byteSize() - hi.dataOffset()) + " bytes of pixels, its shape needs " + need);
            }
            long[] labels = labelFile == null ? new long[(int) n] : readLabels(labelFile, n, arena);
            long max = Arrays.stream(labels).max().orElse(0);
            List<String> names = new ArrayList<>();
            for (long k = 0; k <= max; k++) {
                names.add(Long.toString(k));
            }
            DatasetInfo info = new DatasetInfo(names, split, "npy:" + images + (labelFile == null ? "" : "," + labelFile));
            return new NpyImages(info, arena, img.asSlice(hi.dataOffset(), need), labels, hwc, channelsFirst);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static MemorySegment map(Path file, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        }
    }

    private static NpyHeader header(Path file, MemorySegment seg) throws IOException {
        try {
            return NpyHeader.parse(seg.asSlice(0, Math.min(seg.byteSize(), 1 << 16)).asByteBuffer());
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static long[] readLabels(Path file, long n, Arena arena) throws IOException {
        MemorySegment seg = map(file, arena);
        NpyHeader hl = header(file, seg);
        if (hl.shape().length != 1 || hl.shape()[0] != n) {
            throw new IOException(file + ": labels of shape " + Arrays.toString(hl.shape()) + " do not match " + n + " images");
        }
        int size = switch (hl.descr()) {
            case "<i8", "<u8" -> 8;
            case "<i4", "<u4" -> 4;
            case "|u1", "|i1" -> 1;
            default -> throw new IOException(file + ": labels must be integers (int64, int32 or uint8), got '" + hl.descr() + "'");
        };
        if (seg.byteSize() - hl.dataOffset() != n * size) {
            throw new IOException(file + ": label data has " + (seg.byteSize() - hl.dataOffset()) + " bytes, expected " + n * size);
        }
        long[] out = new long[(int) n];
        for (int i = 0; i < n; i++) {
            long off = hl.dataOffset() + (long) i * size;
            out[i] = switch (size) {
                case 8 -> seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), off);
                case 4 -> seg.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), off);
                default -> Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, off));
            };
            if (out[i] < 0 || out[i] > Integer.MAX_VALUE) {
                throw new IOException(file + ": label " + out[i] + " at index " + i + " is not a class index");
            }
        }
        return out;
    }

    @Override
    public Sample get(long index) {
        int n = imageBytes();
        int[] s = rawShape();
        int hw = s[0] * s[1];
        int c = s[2];
        MemorySegment src = pixels.asSlice(index * n, n);
        byte[] img = new byte[n];
        if (!channelsFirst) {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, 0, img, 0, n);
        } else {
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < hw; p++) {
                    img[p * c + ch] = src.get(ValueLayout.JAVA_BYTE, (long) ch * hw + p);
                }
            }
        }
        return new Sample(index, (int) labels[(int) index], img, null);
    }

    @Override
    public void close() {
        arena.close();
    }
}
