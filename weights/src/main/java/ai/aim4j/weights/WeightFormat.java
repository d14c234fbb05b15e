package ai.aim4j.weights;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The checkpoint formats aim4j reads and writes, recognized by extension, else by content. */
public enum WeightFormat {
    /** safetensors, PyTorch names. */
    SAFETENSORS,
    /** PyTorch {@code torch.save} zip (read only). */
    PTH,
    /** Flax layout, {@code flax.serialization} msgpack. */
    FLAX_MSGPACK,
    /** Flax layout, flat {@code /}-keyed npz. */
    FLAX_NPZ,
    /** Flax layout, an orbax checkpoint folder named {@code orbax:DIR} (see {@link Orbax}). */
    ORBAX;

    /** The format of an existing checkpoint: from its name, else from its first bytes. */
    public static WeightFormat of(Path file) throws IOException {
        if (!Orbax.names(file) && Files.isDirectory(file)) {
            throw new IOException(file + ": is a folder, but no orbax checkpoint (it has no _METADATA)");
        }
        WeightFormat named = named(file);
        if (named != null) {
            return named;
        }
        byte[] head = new byte[9];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        }
        if (n >= 4 && head[0] == 'P' && head[1] == 'K') {
            return PTH;
        }
        if (n == 9 && head[8] == '{') {
            return SAFETENSORS;
        }
        throw new IOException(file + ": unknown weights format (expected .safetensors, .pth, .msgpack, .npz or orbax:DIR)");
    }

    /** The format of a checkpoint to write, which only its name can tell. */
    public static WeightFormat ofName(Path file) throws IOException {
        WeightFormat named = named(file);
        if (named == null) {
            throw new IOException(file + ": the name gives no weights format (name it .safetensors, .msgpack, .npz or orbax:DIR)");
        }
        return named;
    }

    /** The format {@code orbax:DIR} or the file's extension names, or null. */
    private static WeightFormat named(Path file) {
        if (Orbax.names(file)) {
            return ORBAX;
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".safetensors")) {
            return SAFETENSORS;
        }
        if (name.endsWith(".pth") || name.endsWith(".pt") || name.endsWith(".ckpt")) {
            return PTH;
        }
        if (name.endsWith(".msgpack")) {
            return FLAX_MSGPACK;
        }
        if (name.endsWith(".npz")) {
            return FLAX_NPZ;
        }
        return null;
    }
}
