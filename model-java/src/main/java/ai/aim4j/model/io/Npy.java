package ai.aim4j.model.io;

import ai.aim4j.arrow.AtomicFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The NumPy {@code .npy} format (versions 1-3), C order, little-endian or byte-sized types. */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    /** Parses one array; {@code source} names the file (and entry) in errors. */
    public static HostTensor parse(Path source, byte[] bytes) throws CheckpointFormatException {
        if (bytes.length < 10 || !java.util.Arrays.equals(java.util.Arrays.copyOf(bytes, 6), MAGIC)) {
            throw new CheckpointFormatException(source, "not a .npy array (bad magic)");
        }
        int major = bytes[6];
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen;
        int start;
        if (major == 1) {
            headerLen = Short.toUnsignedInt(buf.getShort(8));
            start = 10;
        } else if (major == 2 || major == 3) {
            headerLen = Integer.toUnsignedLong(buf.getInt(8));
            start = 12;
        } else {
            throw new CheckpointFormatException(source, "unsupported .npy version " + major);
        }
        if (start + headerLen > bytes.length) {
            throw new CheckpointFormatException(source, ".npy header runs past the end of the data (truncated)");
        }
        String header = new String(bytes, start, (int) headerLen, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) {
            throw new CheckpointFormatException(source, "unreadable .npy header: " + header.strip());
        }
        DType dtype = DType.fromNumpyDescr(d.group(1)).orElseThrow(() ->
                new CheckpointFormatException(source, "unsupported .npy dtype '" + d.group(1) + "' (little-endian numeric types only)"));
        if (f.group(1).equals("True")) {
            throw new CheckpointFormatException(source, "Fortran-order arrays are not supported; save with np.ascontiguousarray");
        }
        String[] dims = s.group(1).split(",");
        long[] shape = java.util.Arrays.stream(dims).map(String::strip).filter(x -> !x.isEmpty()).mapToLong(Long::parseLong).toArray();
        long dataStart = start + headerLen;
        long need = HostTensor.numel(shape) * dtype.byteSize();
        if (bytes.length - dataStart != need) {
            throw new CheckpointFormatException(source, ".npy data has " + (bytes.length - dataStart) + " bytes, shape "
                    + java.util.Arrays.toString(shape) + " of " + dtype + " needs " + need);
        }
        MemorySegment seg = Arena.ofAuto().allocate(Math.max(need, 1), 64).asSlice(0, need);
        seg.copyFrom(MemorySegment.ofArray(bytes).asSlice(dataStart, need));
        return new HostTensor(dtype, shape, seg);
    }

    /** Serializes one array as .npy version 1.0. */
    public static byte[] toBytes(TensorSource t) {
        String dims = java.util.Arrays.stream(t.shape()).mapToObj(Long::toString).collect(java.util.stream.Collectors.joining(", "));
        // Python's tuple repr: "()", "(n,)", "(a, b)".
        String shape = "(" + dims + (t.shape().length == 1 ? ",)" : ")");
        String dict = "{'descr': '" + t.dtype().numpyDescr() + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAGIC);
        out.write(1);
        out.write(0);
        out.write(header.length() & 0xff);
        out.write(header.length() >>> 8);
        out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(t.bytes().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        return out.toByteArray();
    }

    /** Writes one array atomically as a .npy file. */
    public static void write(Path file, TensorSource t) throws IOException {
        AtomicFiles.writeBytes(file, toBytes(t));
    }
}
