package ai.aim4j.weights;

import ai.aim4j.interop.pickle.MalformedPickleException;
import ai.aim4j.interop.pickle.StateDictUnpickler;
import ai.aim4j.interop.pickle.UnsafePickleException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;

/**
 * Reads PyTorch checkpoints in the zip format {@code torch.save} writes ({@code <archive>/data.pkl},
 * {@code <archive>/data/<key>}, {@code <archive>/version}) without Python: the pickle goes through
 * {@link StateDictUnpickler}, and each tensor's bytes are sliced straight out of a memory map of the
 * zip's stored entries, or out of a deflated entry inflated once (strided views are described, not
 * copied: the consumer lays them out). A state dict may sit at the top level or under a key such as
 * {@code model} or {@code state_dict} (training checkpoints).
 *
 * <p>Nothing a file declares is allocated before the file is shown to hold it: zip entries are read
 * through {@link BoundedZip}, the pickle costs no more than its own size, a view may have no more
 * elements than its storage, and laying out every non-contiguous view takes at most the bytes of the
 * storages. A file that still exhausts memory or the stack is reported like any malformed one.
 */
public final class PthReader {
    /** Keys under which training code commonly nests the model's state dict, in the order tried. */
    public static final List<String> NESTED_KEYS = List.of("model", "state_dict", "model_state_dict", "module", "ema");

    private PthReader() {}

    /** Reads the checkpoint's state dict; {@code nestedKey} null picks it automatically. */
    public static PthCheckpoint read(Path file, String nestedKey) throws IOException {
        Arena arena = Arena.ofShared();
        try (BoundedZip zip = openArchive(file, arena)) {
            ZipArchiveEntry pkl = findPickle(file, zip);
            String root = pkl.getName().substring(0, pkl.getName().length() - "data.pkl".length());
            Map<?, ?> stateDict = locateStateDict(file, unpickle(file, pkl.getName(), zip.bytes(pkl)), nestedKey);
            SequencedMap<String, PthTensor> tensors = new LinkedHashMap<>();
            Map<String, Long> storageBytes = new HashMap<>();
            for (var e : stateDict.entrySet()) {
                if (!(e.getKey() instanceof String name)) {
                    throw new PthFormatException(file, "state dict key " + e.getKey() + " is not a string");
                }
                if (!(e.getValue() instanceof StateDictUnpickler.TensorRef ref)) {
                    throw new PthFormatException(file, "state dict entry " + name + " is not a tensor");
                }
                tensors.put(name, materialize(file, zip, root, name, ref, storageBytes));
            }
            checkLayoutBudget(file, tensors, storageBytes.values().stream().mapToLong(Long::longValue).sum());
            return new PthCheckpoint(tensors, arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        } catch (OutOfMemoryError | StackOverflowError e) {
            arena.close();
            throw new PthFormatException(file, ResourceErrors.describe(e), e);
        }
    }

    private static BoundedZip openArchive(Path file, Arena arena) throws IOException {
        try {
            return BoundedZip.open(file, arena, PthFormatException::new, "a PyTorch checkpoint");
        } catch (PthFormatException e) {
            if (isLegacyPickle(file)) {
                throw new PthFormatException(file, "this is the legacy non-zip torch.save format of PyTorch < 1.6;"
                        + " re-save it with a current PyTorch", e);
            }
            throw e;
        }
    }

    private static boolean isLegacyPickle(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == 0x80;
        } catch (IOException e) {
            return false;
        }
    }

    private static ZipArchiveEntry findPickle(Path file, BoundedZip zip) throws PthFormatException {
        List<ZipArchiveEntry> found = new ArrayList<>();
        for (ZipArchiveEntry e : zip.entries()) {
            String n = e.getName();
            if (n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length()) {
                found.add(e);
            }
        }
        if (found.size() != 1) {
            throw new PthFormatException(file, found.isEmpty() ? "no <archive>/data.pkl entry (not a torch.save checkpoint)"
                    : "several data.pkl entries");
        }
        return found.getFirst();
    }

    private static Object unpickle(Path file, String entry, byte[] pickle) throws IOException {
        try {
            return StateDictUnpickler.load(pickle);
        } catch (StateDictUnpickler.RefusedGlobal e) {
            throw new UnsafePickleException(file, "the pickle uses " + e.getMessage());
        } catch (MalformedPickleException e) {
            throw new PthFormatException(file, "malformed pickle in " + entry + ": " + e.getMessage(), e);
        }
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

    /** Checks one view against its storage and the storage against its entry, then slices the storage's bytes. */
    private static PthTensor materialize(Path file, BoundedZip zip, String root, String name, StateDictUnpickler.TensorRef ref,
                                         Map<String, Long> storageBytes) throws IOException {
        StateDictUnpickler.StorageRef storage = ref.storage();
        int elem = elementSize(storage.type().name());
        String entryName = root + "data/" + storage.key();
        ZipArchiveEntry entry = zip.entry(entryName);
        if (entry == null) {
            throw new PthFormatException(file, "tensor " + name + " refers to storage " + entryName + ", which the archive lacks");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(storage.numel(), elem);
        } catch (ArithmeticException e) {
            throw new PthFormatException(file, "storage " + entryName + " declares " + storage.numel() + " elements of " + elem
                    + " bytes, which overflows a 64-bit size");
        }
        if (entry.getSize() != bytes) {
            throw new PthFormatException(file, "storage " + entryName + " has " + entry.getSize() + " bytes, its pickle says "
                    + storage.numel() + " x " + elem);
        }
        storageBytes.put(entryName, bytes);
        checkView(file, name, ref);
        return new PthTensor(storage.type().name(), elem, ref.size().clone(), ref.stride().clone(),
                zip.contents(entry).asSlice(Math.multiplyExact(ref.offset(), elem)));
    }

    /** A view must stay inside its storage and have no more elements than it (broadcasts never hold parameters). */
    private static void checkView(Path file, String name, StateDictUnpickler.TensorRef ref) throws PthFormatException {
        long[] size = ref.size();
        long[] stride = ref.stride();
        long storageNumel = ref.storage().numel();
        if (size.length != stride.length) {
            throw new PthFormatException(file, "tensor " + name + " has " + size.length + " sizes but " + stride.length + " strides");
        }
        long numel = 1;
        long extent = 0;
        long last;
        try {
            for (int i = 0; i < size.length; i++) {
                if (size[i] < 0 || stride[i] < 0) {
                    throw new PthFormatException(file, "tensor " + name + " has a negative size or stride");
                }
                numel = Math.multiplyExact(numel, size[i]);
                extent = Math.addExact(extent, Math.multiplyExact(Math.max(size[i] - 1, 0), stride[i]));
            }
            // An empty view may sit at the storage's end; any other must end inside it.
            last = numel == 0 ? ref.offset() : Math.addExact(ref.offset(), Math.addExact(extent, 1));
        } catch (ArithmeticException e) {
            throw new PthFormatException(file, "tensor " + name + " has an offset, sizes and strides whose products overflow 64 bits");
        }
        if (ref.offset() < 0 || last > storageNumel) {
            throw new PthFormatException(file, "tensor " + name + " is a view of " + last + " elements into a storage of only "
                    + storageNumel + " (refused: it would read outside its storage)");
        }
        if (numel > storageNumel) {
            throw new PthFormatException(file, "tensor " + name + " views " + numel + " elements, more elements than its storage's "
                    + storageNumel + " (refused: broadcast and overlapping views never hold parameters)");
        }
    }

    /**
     * Laying out the non-contiguous views copies them: together they may take no more bytes than the
     * storages hold, or many views of one large storage would multiply its size in memory.
     */
    private static void checkLayoutBudget(Path file, SequencedMap<String, PthTensor> tensors, long storageBytes)
            throws PthFormatException {
        long copied = 0;
        for (var e : tensors.entrySet()) {
            if (!e.getValue().isContiguous()) {
                copied += e.getValue().byteSize();
                if (copied > storageBytes) {
                    throw new PthFormatException(file, "tensor " + e.getKey() + ": the strided views up to it take " + copied
                            + " bytes to lay out, more than the " + storageBytes + " bytes of all the checkpoint's storages");
                }
            }
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
