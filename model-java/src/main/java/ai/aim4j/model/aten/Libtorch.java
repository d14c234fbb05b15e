package ai.aim4j.model.aten;

import ai.djl.engine.Engine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The {@code libtorch_cpu.so} that DJL's PyTorch engine loaded into this process, for calls DJL does
 * not offer. The library is found in {@code /proc/self/maps} once the engine has started, so the
 * symbols resolved here are those of the very copy DJL's tensors live in (never another libtorch
 * elsewhere on the library path).
 */
final class Libtorch {
    private static final String LIBRARY = "libtorch_cpu.so";
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup SYMBOLS = SymbolLookup.libraryLookup(loadedPath(), Arena.global());

    private Libtorch() {}

    /** A downcall to an exported function of the library, or one error line naming what is missing. */
    static MethodHandle function(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment address = SYMBOLS.find(name)
                .orElseThrow(() -> new IllegalStateException(LIBRARY + " exports no " + name + " (DJL's libtorch is not 2.7)"));
        return LINKER.downcallHandle(address, descriptor, options);
    }

    private static Path loadedPath() {
        Engine.getEngine("PyTorch");
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            return maps.filter(line -> line.endsWith("/" + LIBRARY))
                    .map(line -> Path.of(line.substring(line.indexOf('/'))))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException(LIBRARY + " is not loaded: DJL's PyTorch engine did not start"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/maps to find " + LIBRARY, e);
        }
    }
}
