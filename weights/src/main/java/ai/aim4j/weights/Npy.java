package ai.aim4j.weights;

import ai.aim4j.files.AtomicFiles;
import ai.aim4j.files.NpyHeader;
import ai.aim4j.model.tensor.DType;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.TensorSource;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;

/** The NumPy {@code .npy} format (versions 1-3), C order, little-endian or byte-sized types. */
public final class Npy {
    private Npy() {}

    /** Parses one array; {@code source} names the file (and entry) in errors. */
    public static HostTensor parse(Path source, byte[] bytes) throws CheckpointFormatException {
        NpyHeader h;
        try {
            h = NpyHeader.parse(ByteBuffer.wrap(bytes));
        } catch (IllegalArgumentException e) {
            throw new CheckpointFormatException(source, e.getMessage());
        }
        DType dtype = DType.fromNumpyDescr(h.descr()).orElseThrow(() ->
                new CheckpointFormatException(source, "unsupported .npy dtype '" + h.descr() + "' (little-endian numeric types only)"));
        if (h.fortranOrder()) {
            throw new CheckpointFormatException(source, "Fortran-order arrays are not supported; save with np.ascontiguousarray");
        }
        long need = DeclaredShape.byteSize(source, ".npy array", h.shape(), dtype);
        if (bytes.length - h.dataOffset() != need) {
            throw new CheckpointFormatException(source, ".npy data has " + (bytes.length - h.dataOffset()) + " bytes, shape "
                    + Arrays.toString(h.shape()) + " of " + dtype + " needs " + need);
        }
        MemorySegment seg = Arena.ofAuto().allocate(Math.max(need, 1), 64).asSlice(0, need);
        seg.copyFrom(MemorySegment.ofArray(bytes).asSlice(h.dataOffset(), need));
        return new HostTensor(dtype, h.shape(), seg);
    }

    /** Serializes one array as .npy version 1.0. */
    public static byte[] toBytes(TensorSource t) {
        byte[] header = NpyHeader.encode(t.dtype().numpyDescr(), t.shape());
        byte[] data = t.bytes().toArray(ValueLayout.JAVA_BYTE);
        byte[] out = Arrays.copyOf(header, header.length + data.length);
        System.arraycopy(data, 0, out, header.length, data.length);
        return out;
    }

    /** Writes one array atomically as a .npy file. */
    public static void write(Path file, TensorSource t) throws IOException {
        AtomicFiles.writeBytes(file, toBytes(t));
    }
}
