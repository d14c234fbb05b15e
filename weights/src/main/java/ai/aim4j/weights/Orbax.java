package ai.aim4j.weights;

import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.model.tensor.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SequencedMap;

/**
 * orbax PyTree checkpoints ({@code orbax.checkpoint}'s folder format), named {@code orbax:DIR} on the
 * command line. The plain layout ({@code use_ocdbt=False}: a zarr v2 folder per array and
 * {@code _METADATA}) is read and written in Java; the OCDBT and zarr v3 layouts are read by orbax
 * itself in the Python worker. Tensors are presented flat, keyed by their {@code /}-joined tree path
 * ({@code params/trunk/layers_0/...}), as {@link FlaxMsgpack} presents them.
 */
public final class Orbax {
    /** How a checkpoint folder is named where a weights file is expected. */
    public static final String PREFIX = "orbax:";

    private Orbax() {}

    /** Whether {@code spec} names an orbax checkpoint: {@code orbax:DIR}, or a folder holding {@code _METADATA}. */
    public static boolean names(Path spec) {
        return spec.toString().startsWith(PREFIX) || Files.isRegularFile(spec.resolve(OrbaxMetadata.FILE));
    }

    /** The checkpoint folder {@code spec} names ({@code orbax:DIR} or DIR). */
    public static Path folder(Path spec) {
        String s = spec.toString();
        return s.startsWith(PREFIX) ? Path.of(s.substring(PREFIX.length())) : spec;
    }

    /** The layout of the checkpoint {@code spec} names, from its {@code _METADATA}. */
    public static OrbaxLayout layout(Path spec) throws IOException {
        return metadata(folder(spec)).layout();
    }

    /**
     * Reads every array of the checkpoint into memory owned by the result (close it to free them).
     * The plain layout is read here; the others through orbax in the Python worker.
     */
    public static NamedTensors read(Path spec) throws IOException {
        Path dir = folder(spec);
        OrbaxMetadata metadata = metadata(dir);
        return switch (metadata.layout()) {
            case ZARR2 -> OrbaxPlainReader.read(dir, metadata);
            case ZARR3, OCDBT -> OrbaxPython.restore(dir, metadata.layout());
        };
    }

    /**
     * Writes tensors keyed by {@code /}-joined paths as a checkpoint folder in the plain layout,
     * which {@code orbax.checkpoint.PyTreeCheckpointer().restore(dir)} restores as a nested dict of
     * NumPy arrays. The folder is written beside the target and renamed into place; an existing
     * checkpoint there is replaced, any other non-empty folder refused.
     */
    public static void write(Path spec, SequencedMap<String, ? extends TensorSource> flat) throws IOException {
        OrbaxPlainWriter.write(folder(spec), flat, OrbaxPlainWriter.MAX_CHUNK_BYTES);
    }

    private static OrbaxMetadata metadata(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointFormatException(dir, Files.exists(dir) ? "is not a folder; an orbax checkpoint is a folder" : "no such orbax checkpoint folder");
        }
        if (!Files.isRegularFile(dir.resolve(OrbaxMetadata.FILE))) {
            throw new CheckpointFormatException(dir, "has no " + OrbaxMetadata.FILE + ", so it is not an orbax PyTree checkpoint"
                    + " (of a CheckpointManager's folder, name one step's item, e.g. DIR/1000/default)");
        }
        return OrbaxMetadata.read(dir);
    }
}
