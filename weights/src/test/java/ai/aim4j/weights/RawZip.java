package ai.aim4j.weights;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Writes zip archives field by field, so tests can declare sizes the data does not have and point
 * several central-directory records at one entry: archives that no zip library would write.
 */
public final class RawZip {
    /** Compression methods of the zip format. */
    public static final int STORED = 0;
    public static final int DEFLATED = 8;

    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private final ByteArrayOutputStream directory = new ByteArrayOutputStream();
    private int records;

    /** Adds an entry whose local header and central record declare its true size. */
    public RawZip stored(String name, byte[] data) {
        return entry(name, STORED, data, data.length, crc(data));
    }

    /** Adds a deflated entry whose headers declare its true uncompressed size. */
    public RawZip deflated(String name, byte[] data) {
        return entry(name, DEFLATED, deflate(data), data.length, crc(data));
    }

    /**
     * Adds an entry of already encoded {@code data} (raw deflate for {@link #DEFLATED}) whose headers
     * declare {@code declaredSize} uncompressed bytes.
     */
    public RawZip entry(String name, int method, byte[] data, long declaredSize, long crc) {
        int offset = nextOffset();
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer local = le(30 + n.length).putInt(0x04034b50).putShort((short) 20).putShort((short) 0).putShort((short) method)
                .putInt(0).putInt((int) crc).putInt(data.length).putInt((int) declaredSize).putShort((short) n.length).putShort((short) 0)
                .put(n);
        body.writeBytes(local.array());
        body.writeBytes(data);
        return record(name, method, data.length, declaredSize, crc, offset);
    }

    /** Where the next entry's local header will start. */
    public int nextOffset() {
        return body.size();
    }

    /** Adds a central record named {@code name} for the bytes of the entry whose local header is at {@code offset}. */
    public RawZip record(String name, int method, long compressedSize, long declaredSize, long crc, int offset) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer central = le(46 + n.length).putInt(0x02014b50).putShort((short) 20).putShort((short) 20).putShort((short) 0)
                .putShort((short) method).putInt(0).putInt((int) crc).putInt((int) compressedSize).putInt((int) declaredSize)
                .putShort((short) n.length).putShort((short) 0).putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0)
                .putInt(offset).put(n);
        directory.writeBytes(central.array());
        records++;
        return this;
    }

    /** The archive: entries, central directory, end record. */
    public byte[] toBytes() {
        ByteBuffer end = le(22).putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) records)
                .putShort((short) records).putInt(directory.size()).putInt(body.size()).putShort((short) 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(body.toByteArray());
        out.writeBytes(directory.toByteArray());
        out.writeBytes(end.array());
        return out.toByteArray();
    }

    /** The raw deflate stream (no zlib wrapper, as zip stores it) of {@code data}. */
    public static byte[] deflate(byte[] data) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
        d.setInput(data);
        d.finish();
        return drain(d);
    }

    /** The raw deflate stream of {@code n} zero bytes, built without holding them in memory. */
    public static byte[] deflatedZeros(long n) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
        byte[] chunk = new byte[1 << 16];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        for (long left = n; left > 0; left -= chunk.length) {
            d.setInput(chunk, 0, (int) Math.min(chunk.length, left));
            while (!d.needsInput()) {
                out.write(buf, 0, d.deflate(buf));
            }
        }
        d.finish();
        out.writeBytes(drain(d));
        return out.toByteArray();
    }

    private static byte[] drain(Deflater d) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        while (!d.finished()) {
            out.write(buf, 0, d.deflate(buf));
        }
        d.end();
        return out.toByteArray();
    }

    public static long crc(byte[] data) {
        CRC32 c = new CRC32();
        c.update(data);
        return c.getValue();
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
