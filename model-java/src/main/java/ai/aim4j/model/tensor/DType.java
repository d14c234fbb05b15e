package ai.aim4j.model.tensor;

import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.Optional;

/**
 * Element types of stored tensors, with their names in each file format aim4j reads: safetensors
 * ({@code F32}), NumPy ({@code <f4}), Flax msgpack ({@code float32}) and PyTorch storages
 * ({@code FloatStorage}).
 */
public enum DType {
    F64("F64", "<f8", "float64", "DoubleStorage", 8, DataType.FLOAT64),
    F32("F32", "<f4", "float32", "FloatStorage", 4, DataType.FLOAT32),
    F16("F16", "<f2", "float16", "HalfStorage", 2, DataType.FLOAT16),
    BF16("BF16", null, "bfloat16", "BFloat16Storage", 2, null),
    I64("I64", "<i8", "int64", "LongStorage", 8, DataType.INT64),
    I32("I32", "<i4", "int32", "IntStorage", 4, DataType.INT32),
    I16("I16", "<i2", "int16", "ShortStorage", 2, DataType.INT16),
    I8("I8", "|i1", "int8", "CharStorage", 1, DataType.INT8),
    U8("U8", "|u1", "uint8", "ByteStorage", 1, DataType.UINT8),
    BOOL("BOOL", "|b1", "bool", "BoolStorage", 1, DataType.BOOLEAN);

    private final String safetensorsName;
    private final String numpyDescr;
    private final String numpyName;
    private final String torchStorage;
    private final int byteSize;
    private final DataType djl;

    DType(String safetensorsName, String numpyDescr, String numpyName, String torchStorage, int byteSize, DataType djl) {
        this.safetensorsName = safetensorsName;
        this.numpyDescr = numpyDescr;
        this.numpyName = numpyName;
        this.torchStorage = torchStorage;
        this.byteSize = byteSize;
        this.djl = djl;
    }

    public int byteSize() {
        return byteSize;
    }

    public String safetensorsName() {
        return safetensorsName;
    }

    /** The NumPy dtype name ({@code float32}), as Flax msgpack stores it. */
    public String numpyName() {
        return numpyName;
    }

    /** The NumPy array-interface descriptor ({@code <f4}); null where NumPy has none (bfloat16). */
    public String numpyDescr() {
        return numpyDescr;
    }

    public boolean isFloatingPoint() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /** The DJL type, or an error for types DJL 0.36 cannot hold on the PyTorch CPU path (bfloat16). */
    public DataType toDjl() {
        if (djl == null) {
            throw new IllegalArgumentException(name() + " tensors cannot be created in DJL 0.36 (no bfloat16 on its PyTorch path); convert them to F32 first");
        }
        return djl;
    }

    public static DType fromDjl(DataType type) {
        return Arrays.stream(values()).filter(d -> d.djl == type).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unsupported DJL data type " + type));
    }

    public static Optional<DType> fromSafetensors(String name) {
        return Arrays.stream(values()).filter(d -> d.safetensorsName.equals(name)).findFirst();
    }

    /** Accepts both byte orders' spelling of a little-endian or byte-sized NumPy descriptor. */
    public static Optional<DType> fromNumpyDescr(String descr) {
        String d = descr.startsWith("=") ? "<" + descr.substring(1) : descr;
        return Arrays.stream(values()).filter(t -> t.numpyDescr != null
                && (t.numpyDescr.equals(d) || (t.byteSize == 1 && t.numpyDescr.substring(1).equals(d.substring(1))))).findFirst();
    }

    public static Optional<DType> fromNumpyName(String name) {
        return Arrays.stream(values()).filter(d -> d.numpyName.equals(name)).findFirst();
    }

    /** Maps a PyTorch storage class name ({@code FloatStorage}) to its element type. */
    public static Optional<DType> fromTorchStorage(String storageClass) {
        return Arrays.stream(values()).filter(d -> d.torchStorage.equals(storageClass)).findFirst();
    }
}
