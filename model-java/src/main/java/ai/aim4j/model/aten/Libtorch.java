package ai.aim4j.model.aten;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import ai.djl.engine.Engine;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * The {@code libtorch_cpu.so} that DJL's PyTorch engine loaded into this process, for calls DJL does
 * not offer. Once the engine has started, the dynamic loader knows the library by that name (DJL's
 * JNI library names it as a dependency), so the symbols resolved here are those of the very copy
 * DJL's tensors live in; {@code RTLD_NOLOAD} makes sure no other libtorch on the library path is
 * ever loaded instead.
 */
final class Libtorch {
    private static final String LIBRARY = "libtorch_cpu.so";
    /** glibc's {@code RTLD_LAZY | RTLD_NOLOAD}: a handle only to a library already loaded. */
    private static final int LAZY_NOLOAD = 0x1 | 0x4;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup SYMBOLS = loaded();

    private Libtorch() {}

    /** A downcall to an exported function of the library, or one error line naming what is missing. */
    static MethodHandle function(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment address = SYMBOLS.find(name)
                .orElseThrow(() -> new IllegalStateException(LIBRARY + " exports no " + name + " (DJL's libtorch is not 2.7)"));
        return LINKER.downcallHandle(address, descriptor, options);
    }

    private static SymbolLookup loaded() {
        Engine.getEngine("PyTorch");
        MethodHandle dlopen = LINKER.downcallHandle(LINKER.defaultLookup().find("dlopen").orElseThrow(),
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = (MemorySegment) dlopen.invokeExact(arena.allocateFrom(LIBRARY), LAZY_NOLOAD);
            if (handle.equals(MemorySegment.NULL)) {
                throw new IllegalStateException(LIBRARY + " is not loaded: DJL's PyTorch engine did not start");
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("dlopen " + LIBRARY, e);
        }
        return SymbolLookup.libraryLookup(LIBRARY, Arena.global());
    }
}
