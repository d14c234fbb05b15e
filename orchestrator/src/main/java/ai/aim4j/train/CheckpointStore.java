package ai.aim4j.train;

import ai.aim4j.files.AtomicFiles;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.weights.SafeTensors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Checkpoints of a run, {@code RUN/checkpoints/step-00000100/}: {@code model.safetensors} (ml-l3m's
 * training names), {@code optimizer.safetensors} (AdamW moments), {@code state.json} (step, sampler
 * cursor, counters) and {@code manifest.json} (SHA-256 of each). A checkpoint is assembled in a
 * hidden folder, every file fsynced, and renamed into place, so one either exists whole or not at
 * all; the oldest beyond {@code keep} are deleted.
 */
public final class CheckpointStore {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String PREFIX = "step-";
    private final Path dir;
    private final int keep;

    /** A loaded checkpoint. */
    public record Loaded(Path dir, long step, NamedTensors model, NamedTensors optimizer, JsonNode state) implements AutoCloseable {
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

    public Path save(long step, SequencedMap<String, HostTensor> model, SequencedMap<String, HostTensor> optimizer, ObjectNode state)
            throws IOException {
        Files.createDirectories(dir);
        String name = String.format("%s%08d", PREFIX, step);
        Path tmp = dir.resolve("." + name + ".tmp");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        SafeTensors.write(tmp.resolve("model.safetensors"), model, Map.of("format", "pt"));
        SafeTensors.write(tmp.resolve("optimizer.safetensors"), optimizer, Map.of("format", "pt"));
        AtomicFiles.writeString(tmp.resolve("state.json"), JSON.writeValueAsString(state));
        ObjectNode manifest = JSON.createObjectNode();
        ObjectNode files = manifest.putObject("sha256");
        for (String f : List.of("model.safetensors", "optimizer.safetensors", "state.json")) {
            files.put(f, sha256(tmp.resolve(f)));
        }
        manifest.put("step", step);
        AtomicFiles.writeString(tmp.resolve("manifest.json"), JSON.writeValueAsString(manifest));
        Path target = dir.resolve(name);
        deleteTree(target);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // directories cannot be opened for sync on every file system
        }
        prune();
        return target;
    }

    private void prune() throws IOException {
        List<Path> all = list();
        for (int i = 0; i < all.size() - keep; i++) {
            deleteTree(all.get(i));
        }
    }

    /** Completed checkpoints, oldest first. */
    public List<Path> list() throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(PREFIX) && Files.isDirectory(p))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
    }

    /** The newest checkpoint whose files match their checksums; corrupt ones are reported and skipped. */
    public Path newestValid(Consumer<String> warn) throws IOException {
        List<Path> all = new ArrayList<>(list());
        for (int i = all.size() - 1; i >= 0; i--) {
            String problem = verify(all.get(i));
            if (problem == null) {
                return all.get(i);
            }
            warn.accept("skipping corrupt checkpoint " + all.get(i) + ": " + problem);
        }
        return null;
    }

    /** Null when intact, else what is wrong. */
    public static String verify(Path checkpoint) {
        try {
            JsonNode manifest = JSON.readTree(checkpoint.resolve("manifest.json").toFile());
            for (var e : manifest.path("sha256").properties()) {
                Path f = checkpoint.resolve(e.getKey());
                if (!Files.isRegularFile(f)) {
                    return e.getKey() + " is missing";
                }
                if (!sha256(f).equals(e.getValue().asText())) {
                    return e.getKey() + " does not match its SHA-256";
                }
            }
            return manifest.path("sha256").size() == 3 ? null : "incomplete manifest";
        } catch (IOException e) {
            return "unreadable manifest (" + e.getMessage() + ")";
        }
    }

    public static Loaded load(Path checkpoint) throws IOException {
        String problem = verify(checkpoint);
        if (problem != null) {
            throw new IOException(checkpoint + ": " + problem);
        }
        JsonNode state = JSON.readTree(checkpoint.resolve("state.json").toFile());
        NamedTensors model = SafeTensors.read(checkpoint.resolve("model.safetensors"));
        try {
            NamedTensors optimizer = SafeTensors.read(checkpoint.resolve("optimizer.safetensors"));
            return new Loaded(checkpoint, state.path("step").asLong(), model, optimizer, state);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    static String sha256(Path f) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(f), sha)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
