package ai.aim4j.weights;

import ai.aim4j.interop.pickle.PickleBuilder;
import ai.aim4j.model.tensor.HostTensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A corpus of small weights files that declare far more than they hold (views, lengths, sizes,
 * nesting), each of which a reader must refuse quickly without allocating what it declares.
 */
public final class HostileFiles {
    /** Nesting deep enough to overflow any default thread stack if something recursed over it. */
    private static final int DEEP = 200_000;

    /** One hostile file: what it does, where it is, and a phrase the refusal must contain. */
    public record Case(String name, Path file, String problem) {
        @Override
        public String toString() {
            return name;
        }
    }

    private HostileFiles() {}

    /** Writes every hostile file into {@code dir}. */
    public static List<Case> writeAll(Path dir) throws IOException {
        List<Case> all = new ArrayList<>();
        all.add(checkpoint(dir, "broadcast-view.pth", "more elements than its storage",
                new PickleBuilder().proto(2).emptyOrderedDict()
                        .str("w").tensor("0", 1, 0, new long[] {1 << 20, 1 << 20}, new long[] {0, 0}).op('s').stop(),
                PickleBuilder.floats(1)));
        all.add(transposedViews(dir));
        all.add(declaredLength(dir, "binbytes.pth", 'B', 4, 1L << 30, "BINBYTES"));
        all.add(declaredLength(dir, "binunicode.pth", 'X', 4, Integer.MAX_VALUE, "BINUNICODE"));
        all.add(declaredLength(dir, "long4.pth", 0x8b, 4, 1L << 30, "LONG4"));
        all.add(declaredLength(dir, "binbytes8.pth", 0x8e, 8, Integer.MAX_VALUE - 100, "BINBYTES8"));
        all.add(checkpoint(dir, "long-digits.pth", "digits",
                new PickleBuilder().proto(2).bytes(("L" + "9".repeat(500_000) + "L\n").getBytes(StandardCharsets.US_ASCII)).stop(),
                new byte[0]));
        all.add(storageDeflateBomb(dir));
        all.add(pickleDeflateBomb(dir));
        all.add(checkpoint(dir, "storage-larger-than-entry.pth", "its pickle says",
                new PickleBuilder().proto(2).emptyOrderedDict()
                        .str("w").tensor("0", 1L << 40, 0, new long[] {1}, new long[] {1}).op('s').stop(),
                PickleBuilder.floats(1)));
        all.add(checkpoint(dir, "storage-bytes-overflow.pth", "overflow",
                new PickleBuilder().proto(2).emptyOrderedDict()
                        .str("w").tensor("0", 1L << 62, 0, new long[] {1}, new long[] {1}).op('s').stop(),
                PickleBuilder.floats(1)));
        all.add(checkpoint(dir, "nested-tuple-key.pth", "key",
                validModel().integer(0).repeat(0x85, DEEP).integer(0).op('s').stop(), PickleBuilder.floats(1)));
        all.add(checkpoint(dir, "nested-list-key.pth", "key",
                deepList(validModel()).integer(0).op('s').stop(), PickleBuilder.floats(1)));
        all.add(checkpoint(dir, "nested-list-in-set.pth", "set",
                deepList(validModel().str("tags").op(0x8f).mark()).op(0x90).op('s').stop(), PickleBuilder.floats(1)));
        all.add(npzDeflateBomb(dir));
        all.add(npzOverlappingEntries(dir));
        return all;
    }

    /**
     * Files that are honest about their size, each needing 64 MiB of memory for a JVM given less: a
     * pickle holding that many bytes, a transposed view of a storage that large (laid out in memory the
     * JVM caps by its heap size), and an .npz array. Reading them must end in an error naming the
     * file, not in an OutOfMemoryError.
     */
    public static List<Case> writeOversized(Path dir) throws IOException {
        int bytes = 64 << 20;
        byte[] pickle = new PickleBuilder().proto(4).declaredLength('B', 4, bytes).bytes(new byte[bytes]).stop();
        Path bigPickle = dir.resolve("oversized-pickle.pth");
        Files.write(bigPickle, torchZip(new RawZip().deflated("archive/data.pkl", pickle), new byte[0]).toBytes());
        int side = 4096;
        byte[] view = new PickleBuilder().proto(2).emptyOrderedDict()
                .str("w").tensor("0", side * side, 0, new long[] {side, side}, new long[] {1, side}).op('s').stop();
        Path bigView = dir.resolve("oversized-view.pth");
        Files.write(bigView, new RawZip().stored("archive/data.pkl", view)
                .entry("archive/data/0", RawZip.DEFLATED, RawZip.deflatedZeros(bytes), bytes, 0)
                .stored("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII)).toBytes());
        byte[] npy = Npy.toBytes(HostTensor.ofFloats(new long[] {bytes / 4}, new float[bytes / 4]));
        Path npz = dir.resolve("oversized.npz");
        Files.write(npz, new RawZip().deflated("w.npy", npy).toBytes());
        return List.of(new Case("oversized-pickle.pth", bigPickle, "too large to read"),
                new Case("oversized-view.pth", bigView, "too large to read"), new Case("oversized.npz", npz, "too large to read"));
    }

    /** {@code {"model": {"w": <one float>}}} on the stack, ready for more items of the outer dict. */
    private static PickleBuilder validModel() {
        return new PickleBuilder().proto(4).op('}')
                .str("model").emptyOrderedDict().str("w").tensor("0", 1, 0, new long[] {1}, new long[] {1}).op('s').op('s');
    }

    /** A list nested {@link #DEEP} levels: that many EMPTY_LIST, then each APPENDed into the one below. */
    private static PickleBuilder deepList(PickleBuilder b) {
        return b.repeat(']', DEEP).repeat('a', DEEP - 1);
    }

    private static Case checkpoint(Path dir, String name, String problem, byte[] pickle, byte[] storage) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, torchZip(new RawZip().stored("archive/data.pkl", pickle), storage).toBytes());
        return new Case(name, f, problem);
    }

    private static RawZip torchZip(RawZip zip, byte[] storage) {
        return zip.stored("archive/data/0", storage).stored("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
    }

    /** A pickle that stops right after an opcode declaring {@code length} bytes of payload. */
    private static Case declaredLength(Path dir, String name, int opcode, int width, long length, String problem) throws IOException {
        return checkpoint(dir, name, problem, new PickleBuilder().proto(4).declaredLength(opcode, width, length).stop(), new byte[0]);
    }

    /**
     * 400 transposed (256, 256) views of one 256 KiB storage: each is legal, but laying them all out
     * would take 100 MiB from a file of a quarter of that.
     */
    private static Case transposedViews(Path dir) throws IOException {
        int side = 256;
        PickleBuilder b = new PickleBuilder().proto(2).emptyOrderedDict().mark();
        for (int i = 0; i < 400; i++) {
            b.str("w" + i).tensor("0", side * side, 0, new long[] {side, side}, new long[] {1, side});
        }
        return checkpoint(dir, "transposed-views.pth", "strided views", b.op('u').stop(), new byte[side * side * 4]);
    }

    /** A storage entry declaring 4 GB, deflated from 64 MiB of zeros in 64 KiB: no ratio deflate reaches. */
    private static Case storageDeflateBomb(Path dir) throws IOException {
        long declared = 4_000_000_000L;
        byte[] pickle = new PickleBuilder().proto(2).emptyOrderedDict()
                .str("w").tensor("0", declared / 4, 0, new long[] {declared / 4}, new long[] {1}).op('s').stop();
        RawZip zip = new RawZip().stored("archive/data.pkl", pickle)
                .entry("archive/data/0", RawZip.DEFLATED, RawZip.deflatedZeros(64 << 20), declared, 0)
                .stored("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        Path f = dir.resolve("storage-deflate-bomb.pth");
        Files.write(f, zip.toBytes());
        return new Case("storage-deflate-bomb.pth", f, "deflate");
    }

    /** data.pkl itself deflated and declaring 4 GB. */
    private static Case pickleDeflateBomb(Path dir) throws IOException {
        RawZip zip = new RawZip().entry("archive/data.pkl", RawZip.DEFLATED, RawZip.deflatedZeros(1 << 20), 4_000_000_000L, 0);
        Path f = dir.resolve("pickle-deflate-bomb.pth");
        Files.write(f, torchZip(zip, new byte[0]).toBytes());
        return new Case("pickle-deflate-bomb.pth", f, "deflate");
    }

    /** An np.savez_compressed-style archive whose one array declares 4 GB from 64 KiB. */
    private static Case npzDeflateBomb(Path dir) throws IOException {
        byte[] zip = new RawZip().entry("w.npy", RawZip.DEFLATED, RawZip.deflatedZeros(64 << 20), 4_000_000_000L, 0).toBytes();
        Path f = dir.resolve("deflate-bomb.npz");
        Files.write(f, zip);
        return new Case("deflate-bomb.npz", f, "deflate");
    }

    /**
     * 512 central-directory records sharing one honest deflated 1 MiB array: each entry alone is
     * plausible, together they would inflate to 512 MiB from a file of 28 KiB.
     */
    private static Case npzOverlappingEntries(Path dir) throws IOException {
        byte[] npy = Npy.toBytes(HostTensor.ofFloats(new long[] {1 << 18}, new float[1 << 18]));
        byte[] deflated = RawZip.deflate(npy);
        RawZip zip = new RawZip();
        int at = zip.nextOffset();
        zip.entry("a0.npy", RawZip.DEFLATED, deflated, npy.length, RawZip.crc(npy));
        for (int i = 1; i < 512; i++) {
            zip.record("a" + i + ".npy", RawZip.DEFLATED, deflated.length, npy.length, RawZip.crc(npy), at);
        }
        Path f = dir.resolve("overlapping-entries.npz");
        Files.write(f, zip.toBytes());
        return new Case("overlapping-entries.npz", f, "overlap");
    }
}
