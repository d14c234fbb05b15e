package ai.aim4j.interop.pickle;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes pickle opcodes by hand, and wraps them into a torch.save-style zip, so tests can build both
 * well-formed state dicts and hostile checkpoints without Python.
 */
public final class PickleBuilder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public PickleBuilder proto(int version) {
        out.write(0x80);
        out.write(version);
        return this;
    }

    public PickleBuilder global(String module, String name) {
        out.write('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    /** Protocol 4's STACK_GLOBAL: module and name pushed as strings first. */
    public PickleBuilder stackGlobal(String module, String name) {
        return str(module).str(name).op(0x93);
    }

    public PickleBuilder str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write('X');
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
        out.writeBytes(b);
        return this;
    }

    /** BININT for values that fit 32 bits, else LONG1 with eight bytes (what pickle does for larger ints). */
    public PickleBuilder integer(long v) {
        if (v == (int) v) {
            out.write('J');
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
        } else {
            out.write(0x8a);
            out.write(8);
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }
        return this;
    }

    /**
     * {@code opcode} followed by a little-endian length of {@code width} bytes (1, 4 or 8) and
     * nothing else: how a hostile pickle declares data it does not hold.
     */
    public PickleBuilder declaredLength(int opcode, int width, long length) {
        out.write(opcode);
        out.writeBytes(Arrays.copyOf(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(length).array(), width));
        return this;
    }

    /** {@code opcode} written {@code times} times in a row. */
    public PickleBuilder repeat(int opcode, int times) {
        for (int i = 0; i < times; i++) {
            out.write(opcode);
        }
        return this;
    }

    /** Bytes as they are: an opcode's payload, or a text opcode's line. */
    public PickleBuilder bytes(byte[] raw) {
        out.writeBytes(raw);
        return this;
    }

    public PickleBuilder op(int opcode) {
        out.write(opcode);
        return this;
    }

    public PickleBuilder mark() {
        return op('(');
    }

    public PickleBuilder tuple() {
        return op('t');
    }

    public PickleBuilder reduce() {
        return op('R');
    }

    public PickleBuilder ints(long... values) {
        mark();
        for (long v : values) {
            integer(v);
        }
        return tuple();
    }

    public PickleBuilder emptyOrderedDict() {
        return global("collections", "OrderedDict").op(')').reduce();
    }

    /** {@code _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())} for a float storage. */
    public PickleBuilder tensor(String storageKey, long storageNumel, long offset, long[] size, long[] stride) {
        global("torch._utils", "_rebuild_tensor_v2").mark();
        mark().str("storage").global("torch", "FloatStorage").str(storageKey).str("cpu").integer(storageNumel).tuple().op('Q');
        integer(offset).ints(size).ints(stride).op(0x89).emptyOrderedDict();
        return tuple().reduce();
    }

    public byte[] stop() {
        out.write('.');
        return out.toByteArray();
    }

    /** A zip laid out like torch.save: archive/data.pkl, archive/data/KEY (stored), archive/version. */
    public static void writeCheckpoint(Path file, byte[] pickle, Map<String, byte[]> storages) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", pickle);
        storages.forEach((k, v) -> entries.put("archive/data/" + k, v));
        entries.put("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            for (var e : entries.entrySet()) {
                ZipEntry z = new ZipEntry(e.getKey());
                z.setMethod(ZipEntry.STORED);
                z.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                z.setCrc(crc.getValue());
                zip.putNextEntry(z);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
    }

    public static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }
}
