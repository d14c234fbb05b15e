package ai.aim4j.interop.python;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.EnvironmentAccess;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.PolyglotAccess;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.Value;
import org.graalvm.polyglot.io.IOAccess;

/**
 * Experiment configs written in Python ({@code exp.py} defining {@code get_config()} that returns a
 * dict, as big_vision and other JAX projects do), evaluated by GraalPy in a sandbox: no file, host
 * class, process, thread, environment or native access, only a short list of pure-computation modules
 * importable, and a time limit. The context is created on the first Python config only (it takes
 * seconds) and reused after that.
 */
public final class PythonConfigs {
    /** Modules a config may import: pure computation, nothing that reaches outside the process. */
    public static final Set<String> ALLOWED_IMPORTS = Set.of("math", "json", "functools", "itertools", "collections",
            "dataclasses", "typing", "copy", "re", "enum", "fractions", "decimal", "operator", "string");
    private static final Duration TIME_LIMIT = Duration.ofSeconds(60);

    // Runs a config's source in a fresh namespace whose __import__ only admits ALLOWED_IMPORTS, then
    // returns get_config() as JSON text (so only plain data ever crosses into Java).
    private static final String RUNNER = """
            import builtins as _b, json as _json
            def _aim4j_run(source, filename, allowed):
                real_import = _b.__import__
                def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
                    if level != 0 or name.split('.')[0] not in allowed:
                        raise ImportError("import of '" + name + "' is not allowed in a config file (allowed: " + ", ".join(sorted(allowed)) + ")")
                    return real_import(name, globals, locals, fromlist, level)
                safe_builtins = {k: v for k, v in vars(_b).items() if k not in ('open', 'exec', 'eval', 'compile', 'input', 'breakpoint', '__import__', 'exit', 'quit', 'help')}
                safe_builtins['__import__'] = guarded_import
                ns = {'__name__': '__config__', '__builtins__': safe_builtins}
                exec(compile(source, filename, 'exec'), ns)
                fn = ns.get('get_config')
                if not callable(fn):
                    raise NameError('the file defines no get_config() function')
                config = fn()
                if not isinstance(config, dict):
                    raise TypeError('get_config() returned ' + type(config).__name__ + ', not a dict')
                return _json.dumps(config)
            _aim4j_run
            """;

    private static Context context;
    private static Value runner;

    private PythonConfigs() {}

    /** Evaluates {@code file}'s {@code get_config()} and returns the dict as JSON text. */
    public static synchronized String evaluateToJson(Path file) throws IOException {
        String code = Files.readString(file);
        Value run = runner();
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "python-config-watchdog");
            t.setDaemon(true);
            return t;
        });
        Context ctx = context;
        ScheduledFuture<?> timeout = watchdog.schedule(() -> ctx.close(true), TIME_LIMIT.toSeconds(), TimeUnit.SECONDS);
        try {
            Value allowed = ctx.eval("python", "frozenset(" + pythonList(ALLOWED_IMPORTS) + ")");
            return run.execute(code, file.getFileName().toString(), allowed).asString();
        } catch (PolyglotException e) {
            if (e.isCancelled()) {
                reset();
                throw new PythonConfigException(file, "evaluation exceeded " + TIME_LIMIT.toSeconds() + " s and was stopped");
            }
            if (e.isResourceExhausted() || e.isInternalError()) {
                reset();
            }
            throw new PythonConfigException(file, "Python error: " + e.getMessage() + location(e));
        } finally {
            timeout.cancel(false);
            watchdog.shutdownNow();
        }
    }

    private static String location(PolyglotException e) {
        if (e.getSourceLocation() != null && e.getSourceLocation().getSource() != null) {
            return " (line " + e.getSourceLocation().getStartLine() + ")";
        }
        return "";
    }

    private static String pythonList(Set<String> names) {
        return names.stream().sorted().map(n -> "'" + n + "'").reduce((a, b) -> a + ", " + b).map(s -> "[" + s + "]").orElse("[]");
    }

    private static Value runner() throws IOException {
        if (context == null) {
            context = Context.newBuilder("python")
                    .allowAllAccess(false)
                    .allowIO(IOAccess.NONE)
                    .allowHostAccess(HostAccess.NONE)
                    .allowHostClassLookup(name -> false)
                    .allowCreateProcess(false)
                    .allowCreateThread(false)
                    .allowNativeAccess(false)
                    .allowPolyglotAccess(PolyglotAccess.NONE)
                    .allowEnvironmentAccess(EnvironmentAccess.NONE)
                    .option("engine.WarnInterpreterOnly", "false")
                    .build();
            runner = context.eval(Source.newBuilder("python", RUNNER, "aim4j_config_runner.py").buildLiteral());
        }
        return runner;
    }

    private static void reset() {
        if (context != null) {
            try {
                context.close(true);
            } catch (RuntimeException ignored) {
                // already closed by the watchdog
            }
        }
        context = null;
        runner = null;
    }
}
