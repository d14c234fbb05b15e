package ai.aim4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading libtorch's trace: top-level operators per thread, and products by shape with their FLOPs. */
class OperatorProfileTest {
    @Test
    void topLevelOperatorsAndProductsOfAHandWrittenTrace(@TempDir Path dir) throws Exception {
        // Thread 1: A encloses an mm, then C starts as A ends; thread 2: an addmm; a metadata event that is no operator.
        String trace = """
                [{"name": "A", "ph": "X", "ts": 0, "dur": 100, "tid": 1, "shape": []},
                 {"name": "aten::mm", "ph": "X", "ts": 10, "dur": 50, "tid": 1, "shape": [[4, 8], [8, 16]]},
                 {"name": "C", "ph": "X", "ts": 100, "dur": 20, "tid": 1, "shape": []},
                 {"name": "aten::addmm", "ph": "X", "ts": 5, "dur": 30, "tid": 2, "shape": [[16], [4, 8], [8, 16], [], []]},
                 {"name": "aten::bmm", "ph": "X", "ts": 200, "dur": 10, "tid": 2, "shape": [[2, 4, 8], [2, 8, 16]]},
                 {"name": "thread_name", "ph": "M", "tid": 1}]
                """;
        Path file = dir.resolve("trace.json");
        Files.writeString(file, trace);
        OperatorProfile p = OperatorProfile.read(file, 2);
        assertEquals(List.of("A", "aten::addmm", "C", "aten::bmm"), p.operators().stream().map(OperatorProfile.Row::name).toList());
        assertEquals(100, p.operators().getFirst().micros());
        assertEquals(List.of("aten::mm [[4,8],[8,16]]", "aten::addmm [[16],[4,8],[8,16],[],[]]", "aten::bmm [[2,4,8],[2,8,16]]"),
                p.products().stream().map(OperatorProfile.Row::name).toList());
        assertEquals(List.of(2.0 * 4 * 8 * 16, 2.0 * 4 * 8 * 16, 2.0 * 2 * 4 * 8 * 16), p.products().stream().map(OperatorProfile.Row::flops).toList());
        // The same trace wrapped as Chrome's object form reads the same.
        Files.writeString(file, "{\"traceEvents\": " + trace + "}");
        assertEquals(p, OperatorProfile.read(file, 2));
        assertEquals(0, OperatorProfile.productFlops("aten::mm", new ObjectMapper().readTree("[[4, 8]]")), "a shape the profiler did not record");
    }
}
