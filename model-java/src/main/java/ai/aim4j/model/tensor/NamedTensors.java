package ai.aim4j.model.tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * An ordered set of named tensors as read from one checkpoint file, owning the memory they live in
 * (typically one file mapping). Closing it unmaps the file: close it only after every NDArray made
 * from its tensors is closed.
 */
public final class NamedTensors implements AutoCloseable {
    private final SequencedMap<String, HostTensor> tensors;
    private final Map<String, String> metadata;
    private final List<AutoCloseable> owners;
    private boolean closed;

    /**
     * @param owner what keeps the tensors' memory alive (a file mapping's arena), closed with this
     *              set; null when the memory belongs to the garbage collector
     */
    public NamedTensors(SequencedMap<String, HostTensor> tensors, Map<String, String> metadata, AutoCloseable owner) {
        this(tensors, metadata, owner == null ? List.of() : List.of(owner));
    }

    private NamedTensors(SequencedMap<String, HostTensor> tensors, Map<String, String> metadata, List<AutoCloseable> owners) {
        this.tensors = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(tensors));
        this.metadata = Map.copyOf(metadata);
        this.owners = owners;
    }

    /** Tensors held in memory owned by the garbage collector (no file behind them). */
    public static NamedTensors inMemory(SequencedMap<String, HostTensor> tensors) {
        return new NamedTensors(tensors, Map.of(), (AutoCloseable) null);
    }

    /**
     * One set from several files (ml-aim's released backbone + head pairs); a name present in two
     * files is an error. The result owns every part's memory.
     */
    public static NamedTensors merge(List<NamedTensors> parts, List<String> sources) {
        SequencedMap<String, HostTensor> all = new LinkedHashMap<>();
        Map<String, String> from = new LinkedHashMap<>();
        List<AutoCloseable> owners = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            for (var e : parts.get(i).tensors.entrySet()) {
                String previous = from.putIfAbsent(e.getKey(), sources.get(i));
                if (previous != null) {
                    throw new IllegalArgumentException("tensor " + e.getKey() + " is in both " + previous + " and " + sources.get(i));
                }
                all.put(e.getKey(), e.getValue());
            }
            owners.addAll(parts.get(i).owners);
        }
        return new NamedTensors(all, Map.of(), owners);
    }

    /** The same memory under other names or layouts (e.g. Flax to PyTorch); ownership moves along. */
    public NamedTensors withTensors(SequencedMap<String, HostTensor> renamed) {
        return new NamedTensors(renamed, metadata, owners);
    }

    public SequencedMap<String, HostTensor> tensors() {
        return tensors;
    }

    public HostTensor get(String name) {
        HostTensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor named " + name);
        }
        return t;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public long totalBytes() {
        return tensors.values().stream().mapToLong(t -> t.data().byteSize()).sum();
    }

    /** Releases the memory; closing twice is harmless (a model and its loader may both close it). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (AutoCloseable owner : owners) {
            try {
                owner.close();
            } catch (Exception e) {
                throw new IllegalStateException("could not release tensor memory", e);
            }
        }
    }
}
