package ai.aim4j.arrow;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** Writes and reads IDX files independently of the importer, as the tests' reference. */
final class IdxFiles {
    private IdxFiles() {}

    static void write(Path file, int magic, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(bytes))) {
            out.writeInt(magic);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(data);
        }
        Files.write(file, bytes.toByteArray());
    }

    /** The payload of an IDX file (after its header of 4 + 4 * rank bytes). */
    static byte[] payload(Path gz, int rank) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz)); DataInputStream d = new DataInputStream(in)) {
            d.skipNBytes(4 + 4L * rank);
            return d.readAllBytes();
        }
    }
}
