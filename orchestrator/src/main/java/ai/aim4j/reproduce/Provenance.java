package ai.aim4j.reproduce;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.SequencedMap;

/**
 * What one step of a reproduction ran with, stored in its result: the aim4j version and git
 * revision, the Java runtime, the tensor engine, the operating system and the processor.
 *
 * @param aim4j     aim4j's version
 * @param git       the git revision of the checkout, with {@code + local changes} when the work tree differed from it
 * @param java      the Java runtime
 * @param engine    the tensor engine and its version
 * @param os        operating system and architecture
 * @param processor the processor's model name
 * @param cores     processors available to the JVM
 * @param memoryGib physical memory in GiB (0 when unknown)
 */
public record Provenance(@JsonProperty("aim4j") String aim4j, @JsonProperty("git") String git, @JsonProperty("java") String java,
                         @JsonProperty("engine") String engine, @JsonProperty("os") String os, @JsonProperty("processor") String processor,
                         @JsonProperty("cores") int cores, @JsonProperty("memory_gib") double memoryGib) {

    /** Name-value pairs for the report, in reading order. */
    SequencedMap<String, String> describe() {
        SequencedMap<String, String> e = new LinkedHashMap<>();
        e.put("aim4j", aim4j + ", git " + git);
        e.put("Java", java);
        e.put("tensor engine", engine);
        e.put("OS", os);
        e.put("processor", processor + ", " + cores + " cores available");
        if (memoryGib > 0) {
            e.put("memory", String.format(Locale.ROOT, "%.1f GiB", memoryGib));
        }
        return e;
    }
}
