package ai.aim4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.aim4j.arrow.Sampler;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.weights.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saving a step that already exists never leaves the run without a complete copy of it. */
class CheckpointStoreTest {
    @TempDir
    Path dir;

    private static SequencedMap<String, HostTensor> model(float value) {
        SequencedMap<String, HostTensor> m = new LinkedHashMap<>();
        m.put("w", HostTensor.ofFloats(new long[] {2}, new float[] {value, value}));
        return m;
    }

    private static CheckpointStore.State state(long step) {
        return new CheckpointStore.State(step, step, 0, 0, new Sampler.Cursor(0, step));
    }

    private static float first(CheckpointStore.Checkpoint c) throws IOException {
        try (NamedTensors t = SafeTensors.read(c.model())) {
            return (float) t.get("w").toDoubles()[0];
        }
    }

    private List<String> hidden() throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve("checkpoints"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
        }
    }

    @Test
    void aStepSavedAgainIsReplacedWhole() throws IOException {
        CheckpointStore store = new CheckpointStore(dir, 3);
        store.save(model(1), model(0), state(3));
        CheckpointStore.Checkpoint again = store.save(model(2), model(0), state(3));
        assertEquals(List.of(3L), store.list().stream().map(CheckpointStore.Checkpoint::step).toList());
        assertEquals(2f, first(again));
        assertNull(CheckpointStore.verify(again.dir()));
        assertEquals(List.of(), hidden(), "no temporary or set-aside folder is left behind");
    }

    @Test
    void aFailedSecondSaveKeepsTheFirstCopy() throws IOException {
        CheckpointStore store = new CheckpointStore(dir, 3);
        store.save(model(1), model(0), state(3));
        // No optimizer state: the save fails after writing the new model file.
        assertThrows(NullPointerException.class, () -> store.save(model(2), null, state(3)));
        CheckpointStore.Checkpoint kept = store.newestValid(w -> { });
        assertEquals(3, kept.step());
        assertEquals(1f, first(kept));
        assertEquals(List.of(), hidden(), "the half-written checkpoint is removed");
    }

    @Test
    void aSaveInterruptedAfterSettingTheOldCopyAsideIsUndone() throws IOException {
        CheckpointStore store = new CheckpointStore(dir, 3);
        CheckpointStore.Checkpoint saved = store.save(model(1), model(0), state(3));
        // The moment of a second save of step 3 between setting the old copy aside and moving the new one in.
        Files.move(saved.dir(), dir.resolve("checkpoints/.step-00000003.replaced"), StandardCopyOption.ATOMIC_MOVE);
        CheckpointStore reopened = new CheckpointStore(dir, 3);
        CheckpointStore.Checkpoint restored = reopened.newestValid(w -> { });
        assertEquals(3, restored.step());
        assertEquals(1f, first(restored));
        assertArrayEquals(new String[0], hidden().toArray(String[]::new));
    }
}
