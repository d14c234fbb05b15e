package ai.aim4j.files;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The header of a NumPy {@code .npy} array (versions 1-3): dtype descriptor, memory order, shape and
 * where the data starts. Shared by the dataset importer and the tensor codecs.
 *
 * @param descr        the array-interface type string, e.g. {@code <f4}, {@code |u1}
 * @param fortranOrder whether the data is column-major
 * @param shape        the dimensions ({@code []} for a scalar)
 * @param dataOffset   byte offset of the data
 */
public record NpyHeader(String descr, boolean fortranOrder, long[] shape, int dataOffset) {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
    private static final Pattern DIMENSION = Pattern.compile("\\d+");
    /** NumPy's own limit on the number of dimensions. */
    private static final int MAX_DIMENSIONS = 64;

    /** Parses the header at the start of {@code head} (which must hold at least the whole header). */
    public static NpyHeader parse(ByteBuffer head) {
        ByteBuffer b = head.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[6];
        if (b.remaining() < 10) {
            throw new IllegalArgumentException("not a .npy array (too short)");
        }
        b.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new IllegalArgumentException("not a .npy array (bad magic)");
        }
        int major = b.get();
        b.get();
        long len;
        if (major == 1) {
            len = Short.toUnsignedInt(b.getShort());
        } else if (major == 2 || major == 3) {
            len = Integer.toUnsignedLong(b.getInt());
        } else {
            throw new IllegalArgumentException("unsupported .npy version " + major);
        }
        if (len > b.remaining()) {
            throw new IllegalArgumentException(".npy header runs past the end of the data (truncated)");
        }
        byte[] text = new byte[(int) len];
        b.get(text);
        String header = new String(text, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) {
            throw new IllegalArgumentException("unreadable .npy header: " + header.strip());
        }
        return new NpyHeader(d.group(1), f.group(1).equals("True"), shape(s.group(1)), b.position());
    }

    /**
     * The dimensions of a Python tuple's inside ({@code "2, 3"}, {@code "3,"}, {@code ""}): each a
     * non-negative integer, their product within a long, so that no reader can be led to a negative
     * or wrapped-around size.
     */
    private static long[] shape(String tuple) {
        List<String> dims = Arrays.stream(tuple.split(",")).map(String::strip).filter(x -> !x.isEmpty()).toList();
        if (dims.size() > MAX_DIMENSIONS) {
            throw new IllegalArgumentException(".npy shape has " + dims.size() + " dimensions, more than NumPy's " + MAX_DIMENSIONS);
        }
        long[] shape = new long[dims.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            String dim = dims.get(i);
            if (!DIMENSION.matcher(dim).matches()) {
                throw new IllegalArgumentException(".npy shape dimension '" + dim + "' is not a non-negative integer");
            }
            try {
                shape[i] = Long.parseLong(dim);
                numel = Math.multiplyExact(numel, shape[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(".npy shape dimension " + dim + " does not fit a long");
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(".npy shape (" + tuple.strip() + ") has more elements than a long holds");
            }
        }
        return shape;
    }

    /** The header bytes (version 1.0, padded so the data starts at a multiple of 64) for a C-order array. */
    public static byte[] encode(String descr, long[] shape) {
        String dims = Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", "));
        // Python's tuple repr: "()", "(n,)", "(a, b)".
        String tuple = "(" + dims + (shape.length == 1 ? ",)" : ")");
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + tuple + ", }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer out = ByteBuffer.allocate(10 + header.length()).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
        out.put(header.getBytes(StandardCharsets.ISO_8859_1));
        return out.array();
    }
}
