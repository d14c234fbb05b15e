package ai.aim4j.interop.python;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.EnvironmentAccess;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.PolyglotAccess;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.Value;
import org.graalvm.polyglot.io.IOAccess;

/**
 * One Python config evaluated by GraalPy in a context of its own, created for it and closed after it:
 * no file, host class, process, thread, environment, native or polyglot access, and only
 * {@link PythonConfigs#ALLOWED_IMPORTS} importable. It sets no time or memory limit: the JVM that runs
 * it ({@link PythonConfigMain}) is the one that is limited.
 */
final class ConfigSandbox {
    // Runs a config's source in a namespace of its own and returns get_config() as JSON text (so only plain
    // data ever crosses into Java). GraalPy ignores a custom __builtins__ in exec's globals, so the
    // restrictions go into the builtins module itself, which this context alone uses: __import__ admits
    // only the allowed modules and open, eval, exec and the like refuse, when called from the config's own
    // code (its frames' globals are its namespace); the modules it imports keep using them (dataclasses
    // and namedtuple build their methods with exec and eval). This guard makes plain mistakes fail with a
    // clear message; it is not the boundary: code that works its way around it (through the modules
    // GraalPy has loaded, say) still meets the context's denials below.
    private static final String RUNNER = """
            import builtins as _b, json as _json, sys as _sys
            _exec, _compile = exec, compile
            def _aim4j_run(source, filename, allowed):
                ns = {'__name__': '__config__'}
                def called_by_config():
                    return _sys._getframe(2).f_globals is ns
                real_import = _b.__import__
                def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
                    if called_by_config() and (level != 0 or name.split('.')[0] not in allowed):
                        raise ImportError("import of '" + name + "' is not allowed in a config file (allowed: " + ", ".join(sorted(allowed)) + ")")
                    return real_import(name, globals, locals, fromlist, level)
                def refused_to_config(name, real):
                    def guarded(*args, **kwargs):
                        if called_by_config():
                            raise NameError("'" + name + "' is not available in a config file")
                        return real(*args, **kwargs)
                    return guarded
                for name in ('open', 'exec', 'eval', 'compile', 'input', 'breakpoint', 'exit', 'quit', 'help'):
                    if hasattr(_b, name):
                        setattr(_b, name, refused_to_config(name, getattr(_b, name)))
                _b.__import__ = guarded_import
                _exec(_compile(source, filename, 'exec'), ns)
                fn = ns.get('get_config')
                if not callable(fn):
                    raise NameError('the file defines no get_config() function')
                config = fn()
                if not isinstance(config, dict):
                    raise TypeError('get_config() returned ' + type(config).__name__ + ', not a dict')
                return _json.dumps(config)
            _aim4j_run
            """;

    // Contexts on one engine share GraalPy's parsed code, so every context after the first starts in about
    // half the time; each still has its own modules and globals.
    private static final Engine ENGINE = Engine.newBuilder("python").option("engine.WarnInterpreterOnly", "false").build();

    private ConfigSandbox() {}

    /** Evaluates {@code file}'s {@code get_config()} and returns the dict as JSON text. */
    static String evaluateToJson(Path file) throws IOException {
        String code = read(file);
        try (Context context = newContext()) {
            try {
                Value run = context.eval(Source.newBuilder("python", RUNNER, "aim4j_config_runner.py").buildLiteral());
                Value allowed = context.eval("python", "frozenset(" + pythonList(PythonConfigs.ALLOWED_IMPORTS) + ")");
                return run.execute(code, file.getFileName().toString(), allowed).asString();
            } catch (PolyglotException e) {
                throw new PythonConfigException(file, problem(e, file.getFileName().toString()));
            }
        }
    }

    private static String read(Path file) throws IOException {
        try {
            return Files.readString(file);
        } catch (CharacterCodingException e) {
            throw new PythonConfigException(file, "the file is not UTF-8 text");
        }
    }

    // The standard streams are the evaluating process's channel to its parent (stdin open while the
    // parent lives, stdout the result), so the config gets none of them: its prints are dropped.
    private static Context newContext() {
        return Context.newBuilder("python")
                .engine(ENGINE)
                .allowAllAccess(false)
                .allowIO(IOAccess.NONE)
                .allowHostAccess(HostAccess.NONE)
                .allowHostClassLookup(name -> false)
                .allowCreateProcess(false)
                .allowCreateThread(false)
                .allowNativeAccess(false)
                .allowPolyglotAccess(PolyglotAccess.NONE)
                .allowEnvironmentAccess(EnvironmentAccess.NONE)
                .in(InputStream.nullInputStream())
                .out(OutputStream.nullOutputStream())
                .err(OutputStream.nullOutputStream())
                .build();
    }

    private static String problem(PolyglotException e, String fileName) {
        if (e.isExit()) {
            return "the config exited (status " + e.getExitStatus() + ") instead of returning from get_config()";
        }
        return "Python error: " + e.getMessage() + lineInConfig(e, fileName).map(line -> " (line " + line + ")").orElse("");
    }

    // The innermost line of the config's own source in the Python traceback: the error may be raised
    // deeper, in the runner or a module, and GraalPy's polyglot frames give a function's first line only.
    private static Optional<Integer> lineInConfig(PolyglotException e, String fileName) {
        Value error = e.getGuestObject();
        if (error == null || !error.hasMember("__traceback__")) {
            return Optional.empty();
        }
        Optional<Integer> line = Optional.empty();
        for (Value tb = error.getMember("__traceback__"); !tb.isNull(); tb = tb.getMember("tb_next")) {
            if (tb.getMember("tb_frame").getMember("f_code").getMember("co_filename").asString().equals(fileName)) {
                line = Optional.of(tb.getMember("tb_lineno").asInt());
            }
        }
        return line;
    }

    private static String pythonList(Set<String> names) {
        return names.stream().sorted().map(n -> "'" + n + "'").reduce((a, b) -> a + ", " + b).map(s -> "[" + s + "]").orElse("[]");
    }
}
