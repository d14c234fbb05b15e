package ai.aim4j.interop.worker;

import ai.aim4j.model.tensor.DType;
import com.google.flatbuffers.FlatBufferBuilder;
import java.util.Optional;
import org.apache.arrow.flatbuf.Field;
import org.apache.arrow.flatbuf.FloatingPoint;
import org.apache.arrow.flatbuf.Int;
import org.apache.arrow.flatbuf.Precision;
import org.apache.arrow.flatbuf.Type;

/**
 * How a tensor's element type is spelled in Arrow. Types Arrow has are stored as themselves; bool
 * (Arrow's own is bit-packed) and bfloat16 (Arrow has none) are stored as unsigned integers of their
 * width, and the field's {@code aim4j.dtype} metadata names the real type.
 */
final class ArrowElementTypes {
    /** Field metadata naming the element type where the Arrow type alone is ambiguous. */
    static final String DTYPE_KEY = "aim4j.dtype";

    private ArrowElementTypes() {}

    /** The Arrow type's union tag for {@code dtype}. */
    static byte typeTag(DType dtype) {
        return dtype.isFloatingPoint() && dtype != DType.BF16 ? Type.FloatingPoint : Type.Int;
    }

    /** Writes the Arrow type table for {@code dtype}, returning its offset. */
    static int writeType(FlatBufferBuilder b, DType dtype) {
        return switch (dtype) {
            case F64 -> FloatingPoint.createFloatingPoint(b, Precision.DOUBLE);
            case F32 -> FloatingPoint.createFloatingPoint(b, Precision.SINGLE);
            case F16 -> FloatingPoint.createFloatingPoint(b, Precision.HALF);
            case I64, I32, I16, I8 -> Int.createInt(b, dtype.byteSize() * 8, true);
            case U8, BOOL, BF16 -> Int.createInt(b, dtype.byteSize() * 8, false);
        };
    }

    /** The {@code aim4j.dtype} value {@code dtype} needs, if any. */
    static Optional<String> declaredName(DType dtype) {
        return dtype == DType.BOOL || dtype == DType.BF16 ? Optional.of(dtype.numpyName()) : Optional.empty();
    }

    /**
     * The element type of a list's child field, as {@code aim4j.dtype} names it ({@code declared}, null
     * when absent) or else as the Arrow type implies; an {@link IllegalArgumentException} for a type a
     * tensor cannot have.
     */
    static DType read(Field child, String declared) {
        int bits;
        DType implied;
        switch (child.typeType()) {
            case Type.FloatingPoint -> {
                short precision = ((FloatingPoint) child.type(new FloatingPoint())).precision();
                implied = switch (precision) {
                    case Precision.DOUBLE -> DType.F64;
                    case Precision.SINGLE -> DType.F32;
                    case Precision.HALF -> DType.F16;
                    default -> throw new IllegalArgumentException("unknown floating-point precision " + precision);
                };
                bits = implied.byteSize() * 8;
            }
            case Type.Int -> {
                Int i = (Int) child.type(new Int());
                bits = i.bitWidth();
                implied = switch (bits * (i.isSigned() ? -1 : 1)) {
                    case -64 -> DType.I64;
                    case -32 -> DType.I32;
                    case -16 -> DType.I16;
                    case -8 -> DType.I8;
                    case 8 -> DType.U8;
                    default -> null; // unsigned types beyond uint8 hold only declared types (bfloat16)
                };
            }
            default -> throw new IllegalArgumentException("elements of Arrow type " + Type.name(child.typeType()) + " have no tensor type");
        }
        if (declared == null) {
            if (implied == null) {
                throw new IllegalArgumentException("uint" + bits + " elements have no tensor type without " + DTYPE_KEY);
            }
            return implied;
        }
        DType named = DType.fromNumpyName(declared)
                .orElseThrow(() -> new IllegalArgumentException(DTYPE_KEY + "=" + declared + " is not a known element type"));
        if (typeTag(named) != child.typeType() || named.byteSize() * 8 != bits) {
            throw new IllegalArgumentException(DTYPE_KEY + "=" + declared + " does not fit the stored Arrow type " + Type.name(child.typeType()) + bits);
        }
        return named;
    }
}
