package ai.aim4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The dependency rules of the design, checked on the sources: the model knows nothing of files or
 * datasets, the data layer nothing of the model, only the command line knows Picocli; and the code
 * names classes by import, never inline.
 */
class ArchitectureTest {
    private static final Path ROOT = Path.of(System.getProperty("aim4j.root", ".."));
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?([\\w.]+);", Pattern.MULTILINE);
    /** A package-qualified class name in code: lower-case segments, then a capitalized one. */
    private static final Pattern INLINE = Pattern.compile("(?<![\\w.\"])(?:java|javax|ai|com|org|picocli)(?:\\.[a-z]\\w*)+\\.[A-Z]\\w*");

    private static List<Path> sources(String module, String scope) throws IOException {
        Path dir = ROOT.resolve(module).resolve("src").resolve(scope).resolve("java");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }

    /** Every import of {@code module}'s main sources that breaks {@code allowed}, as "file: import". */
    private static List<String> imports(String module, Predicate<String> allowed) throws IOException {
        List<String> bad = new ArrayList<>();
        for (Path f : sources(module, "main")) {
            var m = IMPORT.matcher(Files.readString(f));
            while (m.find()) {
                if (!allowed.test(m.group(1))) {
                    bad.add(ROOT.relativize(f) + ": " + m.group(1));
                }
            }
        }
        return bad;
    }

    @Test
    void dependenciesPointOneWay() throws IOException {
        assertTrue(sources("model-java", "main").size() > 20, "sources not found under " + ROOT.toAbsolutePath());
        assertEquals(List.of(), imports("model-java", i -> !i.startsWith("java.nio.file") && !i.startsWith("java.io.File")
                && !(i.startsWith("ai.aim4j.") && !i.startsWith("ai.aim4j.model"))), "the model knows nothing of files, datasets or formats");
        assertEquals(List.of(), imports("arrow-io", i -> !i.startsWith("ai.aim4j.") || i.startsWith("ai.aim4j.arrow") || i.startsWith("ai.aim4j.files")),
                "the data layer knows nothing of the model");
        assertEquals(List.of(), imports("files", i -> !i.startsWith("ai.aim4j.") || i.startsWith("ai.aim4j.files")));
        assertEquals(List.of(), imports("distributed", i -> !i.startsWith("ai.aim4j.") || i.startsWith("ai.aim4j.dist")),
                "the collectives know nothing of models, tensors or data: they move bytes");
        assertEquals(List.of(), imports("python-interop", i -> !i.startsWith("ai.aim4j.") || i.startsWith("ai.aim4j.interop")
                || i.startsWith("ai.aim4j.model.tensor") || i.startsWith("ai.aim4j.files")), "the bridge moves tensors, not models");
        assertEquals(List.of(), imports("weights", i -> !i.startsWith("ai.aim4j.") || i.startsWith("ai.aim4j.weights")
                || i.startsWith("ai.aim4j.model.") || i.startsWith("ai.aim4j.files") || i.startsWith("ai.aim4j.interop")));
    }

    @Test
    void onlyTheCommandLineKnowsPicocli() throws IOException {
        List<String> bad = new ArrayList<>();
        for (String module : List.of("orchestrator", "weights", "model-java", "arrow-io", "python-interop", "files", "distributed")) {
            for (Path f : sources(module, "main")) {
                if (!f.toString().contains("/ai/aim4j/cli/") && Files.readString(f).contains("import picocli")) {
                    bad.add(ROOT.relativize(f).toString());
                }
            }
        }
        assertEquals(List.of(), bad);
    }

    @Test
    void classesAreImportedNotNamedInline() throws IOException {
        List<String> bad = new ArrayList<>();
        for (String module : List.of("orchestrator", "weights", "model-java", "arrow-io", "python-interop", "files", "distributed",
                "parity-tests")) {
            for (String scope : List.of("main", "test")) {
                for (Path f : sources(module, scope)) {
                    int n = 0;
                    for (String line : Files.readAllLines(f)) {
                        n++;
                        String code = line.replaceAll("\"(?:\\\\.|[^\"\\\\])*\"", "\"\"").replaceAll("//.*", "");
                        if (code.startsWith("import ") || code.startsWith("package ") || code.strip().startsWith("*")
                                || code.strip().startsWith("/*")) {
                            continue;
                        }
                        var m = INLINE.matcher(code);
                        if (m.find()) {
                            bad.add(ROOT.relativize(f) + ":" + n + ": " + m.group());
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), bad);
    }
}
