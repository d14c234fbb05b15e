package ai.aim4j.weights;

import ai.aim4j.model.naming.FlaxNames;
import ai.aim4j.model.naming.L3mNames;
import ai.aim4j.model.nn.Layer;
import ai.aim4j.model.tensor.DType;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * Reads and writes model weights in every supported format, always presenting them under ml-aim's
 * PyTorch state-dict names and layouts (Flax files are renamed and transposed on the way in and out).
 */
public final class WeightFiles {
    private WeightFiles() {}

    /**
     * Reads one weights file under aim4j's internal (ml-aim) names: Flax files are renamed and
     * transposed, ml-l3m training checkpoints renamed with q/k/v fused.
     */
    public static NamedTensors read(Path file) throws IOException {
        NamedTensors t = switch (WeightFormat.of(file)) {
            case SAFETENSORS -> SafeTensors.read(file);
            case PTH -> readPth(file, null);
            case FLAX_MSGPACK -> fromFlax(file, FlaxMsgpack.read(file));
            case FLAX_NPZ -> fromFlax(file, Npz.read(file));
            case ORBAX -> fromFlax(file, Orbax.read(file));
        };
        if (L3mNames.isL3m(t.tensors())) {
            try {
                return t.withTensors(L3mNames.fromL3m(t.tensors()));
            } catch (IllegalArgumentException e) {
                t.close();
                throw new IOException(file + ": " + e.getMessage(), e);
            }
        }
        return t;
    }

    /**
     * Reads several files as one (a released {@code *_backbone.pth} with a {@code *_head_*.pth});
     * a key in two files is an error.
     */
    public static NamedTensors read(List<Path> files) throws IOException {
        if (files.size() == 1) {
            return read(files.getFirst());
        }
        List<NamedTensors> parts = new ArrayList<>();
        try {
            for (Path f : files) {
                parts.add(read(f));
            }
            return NamedTensors.merge(parts, files.stream().map(Path::toString).toList());
        } catch (IOException | RuntimeException e) {
            parts.forEach(NamedTensors::close);
            throw e;
        }
    }

    /**
     * Reads a PyTorch checkpoint, its state dict optionally nested under {@code key}, laying out its
     * strided views in C order (PthReader has bounded what that copies by the size of the storages).
     */
    public static NamedTensors readPth(Path file, String key) throws IOException {
        PthCheckpoint ckpt = PthReader.read(file, key);
        try {
            SequencedMap<String, HostTensor> out = new LinkedHashMap<>();
            for (var e : ckpt.tensors().entrySet()) {
                PthTensor t = e.getValue();
                DType dtype = DType.fromTorchStorage(t.storageType()).orElseThrow(() ->
                        new IOException(file + ": tensor " + e.getKey() + " has unsupported storage " + t.storageType()));
                out.put(e.getKey(), HostTensor.strided(dtype, t.shape(), t.strides(), t.storage()));
            }
            return new NamedTensors(out, Map.of(), ckpt);
        } catch (IOException | RuntimeException e) {
            ckpt.close();
            throw e;
        } catch (OutOfMemoryError e) {
            ckpt.close();
            throw new PthFormatException(file, ResourceErrors.describe(e), e);
        }
    }

    private static NamedTensors fromFlax(Path file, NamedTensors flax) throws IOException {
        try {
            return flax.withTensors(FlaxNames.fromFlax(flax.tensors()));
        } catch (IllegalArgumentException e) {
            flax.close();
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes tensors of {@code model} under aim4j's internal (ml-aim) names in {@code format}; Flax
     * names and layouts follow the model's declarations (the model is not needed for safetensors,
     * which keeps the names). PyTorch's own pickle format is read-only.
     */
    public static void write(Path file, WeightFormat format, SequencedMap<String, HostTensor> tensors, Layer model) throws IOException {
        if (model == null && format != WeightFormat.SAFETENSORS) {
            throw new IllegalArgumentException(format + " names its tensors after the model's declarations: give the model");
        }
        switch (format) {
            case SAFETENSORS -> SafeTensors.write(file, tensors, Map.of("format", "pt"));
            case FLAX_MSGPACK -> FlaxMsgpack.write(file, FlaxNames.toFlax(model, tensors));
            case FLAX_NPZ -> Npz.write(file, FlaxNames.toFlax(model, tensors));
            case ORBAX -> Orbax.write(file, FlaxNames.toFlax(model, tensors));
            case PTH -> throw new IOException(file + ": writing .pth is not supported (it would need Python's pickle);"
                    + " write .safetensors, which PyTorch loads with safetensors.torch.load_file");
        }
    }
}
