package ai.aim4j.weights;

import ai.aim4j.interop.pickle.StateDictUnpickler;
import ai.aim4j.interop.pickle.UnsafePickleException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import net.razorvine.pickle.PickleException;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * Reads PyTorch checkpoints in the zip format {@code torch.save} writes ({@code <archive>/data.pkl},
 * {@code <archive>/data/<key>}, {@code <archive>/version}) without Python: the pickle goes through
 * {@link StateDictUnpickler}, and each tensor's bytes are sliced straight out of a memory map of the
 * zip's stored entries (strided views are described, not copied: the consumer lays them out). A state dict may sit at the top level or under a key such as {@code model}
 * or {@code state_dict} (training checkpoints).
 */
public final class PthReader {
    /** Keys under which training code commonly nests the model's state dict, in the order tried. */
    public static final List<String> NESTED_KEYS = List.of("model", "state_dict", "model_state_dict", "module", "ema");

    private PthReader() {}

    /** Reads the checkpoint's state dict; {@code nestedKey} null picks it automatically. */
    public static PthCheckpoint read(Path file, String nestedKey) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
             ZipFile zip = openZip(file, ch)) {
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            ZipArchiveEntry pkl = findPickle(file, zip);
            String root = pkl.getName().substring(0, pkl.getName().length() - "data.pkl".length());
            Object top;
            try (InputStream in = zip.getInputStream(pkl)) {
                top = new StateDictUnpickler().load(in);
            } catch (StateDictUnpickler.RefusedGlobal e) {
                throw new UnsafePickleException(file, "the pickle uses " + e.getMessage());
            } catch (PickleException | ClassCastException | IllegalArgumentException | IndexOutOfBoundsException e) {
                throw new PthFormatException(file, "malformed pickle in " + pkl.getName() + ": " + e.getMessage(), e);
            }
            Map<?, ?> stateDict = locateStateDict(file, top, nestedKey);
            SequencedMap<String, PthTensor> tensors = new LinkedHashMap<>();
            for (var e : stateDict.entrySet()) {
                if (!(e.getKey() instanceof String name)) {
                    throw new PthFormatException(file, "state dict key " + e.getKey() + " is not a string");
                }
                if (!(e.getValue() instanceof StateDictUnpickler.TensorRef ref)) {
                    throw new PthFormatException(file, "state dict entry " + name + " is not a tensor");
                }
                tensors.put(name, materialize(file, zip, mapped, root, name, ref));
            }
            return new PthCheckpoint(tensors, arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static ZipFile openZip(Path file, FileChannel ch) throws IOException {
        try {
            return ZipFile.builder().setSeekableByteChannel(ch).setIgnoreLocalFileHeader(false).get();
        } catch (IOException e) {
            String hint = isLegacyPickle(file) ? " (this looks like the legacy non-zip torch.save format of PyTorch < 1.6;"
                    + " re-save it with a current PyTorch)" : " (truncated, or not a PyTorch checkpoint)";
            throw new PthFormatException(file, "not a readable zip archive: " + e.getMessage() + hint, e);
        }
    }

    private static boolean isLegacyPickle(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == 0x80;
        } catch (IOException e) {
            return false;
        }
    }

    private static ZipArchiveEntry findPickle(Path file, ZipFile zip) throws PthFormatException {
        List<ZipArchiveEntry> found = new ArrayList<>();
        zip.getEntries().asIterator().forEachRemaining(e -> {
            String n = e.getName();
            if (n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length()) {
                found.add(e);
            }
        });
        if (found.size() != 1) {
            throw new PthFormatException(file, found.isEmpty() ? "no <archive>/data.pkl entry (not a torch.save checkpoint)"
                    : "several data.pkl entries");
        }
        return found.getFirst();
    }

    private static Map<?, ?> locateStateDict(Path file, Object top, String nestedKey) throws PthFormatException {
        if (!(top instanceof Map<?, ?> map)) {
            throw new PthFormatException(file, "the checkpoint holds a " + (top == null ? "None" : top.getClass().getSimpleName())
                    + ", not a dict");
        }
        if (nestedKey != null) {
            Object inner = map.get(nestedKey);
            if (!(inner instanceof Map<?, ?> m)) {
                throw new PthFormatException(file, "no state dict under key '" + nestedKey + "'; top-level keys: " + map.keySet());
            }
            return m;
        }
        if (!map.isEmpty() && map.values().stream().allMatch(v -> v instanceof StateDictUnpickler.TensorRef)) {
            return map;
        }
        for (String k : NESTED_KEYS) {
            if (map.get(k) instanceof Map<?, ?> m && !m.isEmpty() && m.values().stream().allMatch(v -> v instanceof StateDictUnpickler.TensorRef)) {
                return m;
            }
        }
        throw new PthFormatException(file, "no state dict found at the top level or under " + NESTED_KEYS + "; top-level keys: " + map.keySet());
    }

    private static PthTensor materialize(Path file, ZipFile zip, MemorySegment mapped, String root, String name,
                                         StateDictUnpickler.TensorRef ref) throws IOException {
        StateDictUnpickler.StorageRef storage = ref.storage();
        int elem = elementSize(storage.type().name());
        String entryName = root + "data/" + storage.key();
        ZipArchiveEntry entry = zip.getEntry(entryName);
        if (entry == null) {
            throw new PthFormatException(file, "tensor " + name + " refers to storage " + entryName + ", which the archive lacks");
        }
        long storageBytes = Math.multiplyExact(storage.numel(), elem);
        if (entry.getSize() != storageBytes) {
            throw new PthFormatException(file, "storage " + entryName + " has " + entry.getSize() + " bytes, its pickle says "
                    + storage.numel() + " x " + elem);
        }
        long[] size = ref.size();
        long[] stride = ref.stride();
        if (size.length != stride.length) {
            throw new PthFormatException(file, "tensor " + name + " has " + size.length + " sizes but " + stride.length + " strides");
        }
        long numel = 1;
        long extent = 0;
        for (int i = 0; i < size.length; i++) {
            if (size[i] < 0 || stride[i] < 0) {
                throw new PthFormatException(file, "tensor " + name + " has a negative size or stride");
            }
            numel = Math.multiplyExact(numel, size[i]);
            extent = Math.addExact(extent, Math.multiplyExact(Math.max(size[i] - 1, 0), stride[i]));
        }
        if (numel > 0 && (ref.offset() < 0 || Math.addExact(ref.offset(), extent) >= storage.numel())) {
            throw new PthFormatException(file, "tensor " + name + " is a view of " + (ref.offset() + extent + 1)
                    + " elements into a storage of only " + storage.numel() + " (refused: it would read outside its storage)");
        }
        MemorySegment bytes = storageSegment(file, zip, mapped, entry);
        return new PthTensor(storage.type().name(), elem, size.clone(), stride.clone(), bytes.asSlice(ref.offset() * elem));
    }

    private static MemorySegment storageSegment(Path file, ZipFile zip, MemorySegment mapped, ZipArchiveEntry entry) throws IOException {
        if (entry.getMethod() == ZipArchiveEntry.STORED) {
            long offset = entry.getDataOffset();
            if (offset < 0 || offset + entry.getSize() > mapped.byteSize()) {
                throw new PthFormatException(file, "entry " + entry.getName() + " runs past the end of the file (truncated)");
            }
            return mapped.asSlice(offset, entry.getSize());
        }
        // torch.save never compresses, but a re-zipped archive may: inflate that entry into memory.
        try (InputStream in = zip.getInputStream(entry)) {
            byte[] bytes = in.readAllBytes();
            if (bytes.length != entry.getSize()) {
                throw new PthFormatException(file, "entry " + entry.getName() + " inflates to " + bytes.length + " bytes, expected " + entry.getSize());
            }
            MemorySegment seg = Arena.ofAuto().allocate(Math.max(bytes.length, 1), 64).asSlice(0, bytes.length);
            seg.copyFrom(MemorySegment.ofArray(bytes));
            return seg;
        }
    }

    private static int elementSize(String storageType) {
        return switch (storageType) {
            case "DoubleStorage", "LongStorage" -> 8;
            case "FloatStorage", "IntStorage" -> 4;
            case "HalfStorage", "BFloat16Storage", "ShortStorage" -> 2;
            default -> 1;
        };
    }
}
