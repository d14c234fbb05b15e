package ai.aim4j.train;

import ai.aim4j.arrow.Sampler;
import ai.aim4j.files.AtomicFiles;
import ai.aim4j.files.FileTrees;
import ai.aim4j.files.Sha256;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.weights.SafeTensors;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checkpoints of a run, {@code RUN/checkpoints/step-00000100/}: {@code model.safetensors} (ml-l3m's
 * training names), {@code optimizer.safetensors} (AdamW moments), {@code state.json} (step, sampler
 * cursor, counters) and {@code manifest.json} (SHA-256 of each). A checkpoint is assembled in a
 * hidden folder, every file fsynced, and renamed into place, so one either exists whole or not at
 * all; a step saved again replaces the old copy only after the new one is complete, and the oldest
 * beyond {@code keep} are deleted.
 */
public final class CheckpointStore {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Pattern NAME = Pattern.compile("step-(\\d{8})");
    /** Suffix of a checkpoint set aside while its step is saved again; restored if that save never finished. */
    private static final String REPLACED = ".replaced";
    /** The file listing a checkpoint's files with their SHA-256, written last. */
    private static final String MANIFEST = "manifest.json";
    private static final List<String> FILES = List.of("model.safetensors", "optimizer.safetensors", "state.json");
    private final Path dir;
    private final int keep;

    /** One completed checkpoint of a run. */
    public record Checkpoint(long step, Path dir) {
        public Path model() {
            return dir.resolve("model.safetensors");
        }

        public Path optimizer() {
            return dir.resolve("optimizer.safetensors");
        }

        /** The SHA-256 of {@code model.safetensors} as the checkpoint's manifest records it. */
        public String modelSha256() throws IOException {
            return JSON.readTree(dir.resolve(MANIFEST).toFile()).path("sha256").path("model.safetensors").asText();
        }
    }

    /** What {@code state.json} holds: where the run stands besides its tensors. */
    public record State(@JsonProperty("step") long step, @JsonProperty("optimizer_steps") long optimizerSteps,
                        @JsonProperty("skipped_steps") long skippedSteps, @JsonProperty("seed") long seed,
                        @JsonProperty("cursor") Sampler.Cursor cursor) {}

    /** A loaded checkpoint. */
    public record Loaded(Checkpoint checkpoint, NamedTensors model, NamedTensors optimizer, State state) implements AutoCloseable {
        @Override
        public void close() {
            model.close();
            optimizer.close();
        }
    }

    public CheckpointStore(Path runDir, int keep) {
        this.dir = runDir.resolve("checkpoints");
        this.keep = keep;
    }

    public Path dir() {
        return dir;
    }

    /** Saves a checkpoint of {@code state.step()} and prunes the oldest beyond {@code keep}. */
    public Checkpoint save(SequencedMap<String, HostTensor> model, SequencedMap<String, HostTensor> optimizer, State state)
            throws IOException {
        Files.createDirectories(dir);
        String name = name(state.step());
        Path tmp = dir.resolve("." + name + ".tmp");
        FileTrees.delete(tmp);
        Files.createDirectories(tmp);
        try {
            SafeTensors.write(tmp.resolve("model.safetensors"), model, Map.of("format", "pt"));
            SafeTensors.write(tmp.resolve("optimizer.safetensors"), optimizer, Map.of("format", "pt"));
            AtomicFiles.writeString(tmp.resolve("state.json"), JSON.writeValueAsString(state));
            ObjectNode manifest = JSON.createObjectNode();
            ObjectNode sums = manifest.putObject("sha256");
            for (String f : FILES) {
                sums.put(f, Sha256.of(tmp.resolve(f)));
            }
            manifest.put("step", state.step());
            AtomicFiles.writeString(tmp.resolve(MANIFEST), JSON.writeValueAsString(manifest));
        } catch (IOException | RuntimeException e) {
            FileTrees.delete(tmp);
            throw e;
        }
        Path target = dir.resolve(name);
        Path replaced = dir.resolve("." + name + REPLACED);
        if (Files.exists(target)) {
            // Never delete the only copy of a step: set it aside until the new one is in place.
            FileTrees.delete(replaced);
            Files.move(target, replaced, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        syncDirectory();
        FileTrees.delete(replaced);
        prune();
        return new Checkpoint(state.step(), target);
    }

    private void prune() throws IOException {
        List<Checkpoint> all = list();
        for (int i = 0; i < all.size() - keep; i++) {
            FileTrees.delete(all.get(i).dir());
        }
    }

    /** Completed checkpoints, oldest first (a step whose second save was interrupted is restored first). */
    public List<Checkpoint> list() throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        restoreInterrupted();
        List<Checkpoint> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted(Comparator.comparing(p -> p.getFileName().toString())).toList()) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches() && Files.isDirectory(p)) {
                    out.add(new Checkpoint(Long.parseLong(m.group(1)), p));
                }
            }
        }
        return out;
    }

    private void restoreInterrupted() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String f = p.getFileName().toString();
                if (f.startsWith(".") && f.endsWith(REPLACED)) {
                    Path target = dir.resolve(f.substring(1, f.length() - REPLACED.length()));
                    if (Files.exists(target)) {
                        FileTrees.delete(p);
                    } else {
                        Files.move(p, target, StandardCopyOption.ATOMIC_MOVE);
                    }
                }
            }
        }
    }

    /** The newest checkpoint whose files match their checksums; corrupt ones are reported and skipped. */
    public Checkpoint newestValid(Consumer<String> warn) throws IOException {
        List<Checkpoint> all = list();
        for (int i = all.size() - 1; i >= 0; i--) {
            String problem = verify(all.get(i).dir());
            if (problem == null) {
                return all.get(i);
            }
            warn.accept("skipping corrupt checkpoint " + all.get(i).dir() + ": " + problem);
        }
        return null;
    }

    /**
     * Null when the folder holds a checkpoint manifest naming each checkpoint file and every one of
     * them is there, else what is wrong; hashes nothing (see {@link #verify}).
     */
    public static String checkFiles(Path checkpoint) {
        if (!Files.isRegularFile(checkpoint.resolve(MANIFEST))) {
            return "no " + MANIFEST;
        }
        try {
            JsonNode sums = JSON.readTree(checkpoint.resolve(MANIFEST).toFile()).path("sha256");
            if (sums.size() != FILES.size() || !FILES.stream().allMatch(sums::has)) {
                return "incomplete manifest";
            }
            for (String f : FILES) {
                if (!Files.isRegularFile(checkpoint.resolve(f))) {
                    return f + " is missing";
                }
            }
            return null;
        } catch (IOException e) {
            return "unreadable manifest (" + e.getMessage() + ")";
        }
    }

    /** Null when the checkpoint folder is intact (every file there and matching its SHA-256), else what is wrong. */
    public static String verify(Path checkpoint) {
        String problem = checkFiles(checkpoint);
        if (problem != null) {
            return problem;
        }
        try {
            JsonNode sums = JSON.readTree(checkpoint.resolve(MANIFEST).toFile()).path("sha256");
            for (String f : FILES) {
                if (!Sha256.of(checkpoint.resolve(f)).equals(sums.get(f).asText())) {
                    return f + " does not match its SHA-256";
                }
            }
            return null;
        } catch (IOException e) {
            return "unreadable (" + e.getMessage() + ")";
        }
    }

    /** Loads a checkpoint folder, verified against its manifest. */
    public static Loaded load(Path checkpoint) throws IOException {
        String problem = verify(checkpoint);
        if (problem != null) {
            throw new IOException(checkpoint + ": " + problem);
        }
        State state = JSON.readValue(checkpoint.resolve("state.json").toFile(), State.class);
        Checkpoint c = new Checkpoint(state.step(), checkpoint);
        NamedTensors model = SafeTensors.read(c.model());
        try {
            return new Loaded(c, model, SafeTensors.read(c.optimizer()), state);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private static String name(long step) {
        return String.format("step-%08d", step);
    }

    private void syncDirectory() {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems cannot open a directory for syncing; the files themselves are synced.
        }
    }
}
