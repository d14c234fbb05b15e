package ai.aim4j.weights;

import java.lang.foreign.Arena;
import java.util.Collections;
import java.util.SequencedMap;

/** The tensors of a PyTorch checkpoint, backed by a memory map that {@link #close()} releases. */
public final class PthCheckpoint implements AutoCloseable {
    private final SequencedMap<String, PthTensor> tensors;
    private final Arena arena;

    PthCheckpoint(SequencedMap<String, PthTensor> tensors, Arena arena) {
        this.tensors = Collections.unmodifiableSequencedMap(tensors);
        this.arena = arena;
    }

    /** Tensors by state-dict name, in the pickle's order. */
    public SequencedMap<String, PthTensor> tensors() {
        return tensors;
    }

    /** The arena owning the mapping; whoever takes the tensors over takes this too. */
    public Arena arena() {
        return arena;
    }

    @Override
    public void close() {
        arena.close();
    }
}
