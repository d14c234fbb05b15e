package ai.aim4j.interop.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox's rules, in this JVM: the config's own code cannot import outside the allow-list nor call
 * open, eval or exec, however it names them, while the modules it imports still can; the ways around that
 * guard, through the modules GraalPy has already loaded ({@code typing.sys.modules}), are refused by the
 * host. Every failure is one line naming the file, and nothing it attempted has an effect.
 */
class ConfigSandboxTest {
    @TempDir
    Path dir;

    private Path config(String body) throws IOException {
        Path f = dir.resolve("exp_" + Math.abs(body.hashCode()) + ".py");
        Files.writeString(f, body);
        return f;
    }

    private PythonConfigException refused(String body) throws IOException {
        Path f = config(body);
        PythonConfigException e = assertThrows(PythonConfigException.class, () -> ConfigSandbox.evaluateToJson(f));
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    @Test
    void evaluatesEachFileInAContextOfItsOwn() throws IOException {
        Path first = config("import json\njson.left_by_first = 42\ndef get_config():\n    return {}\n");
        Path second = config("import json\ndef get_config():\n    return {'sees_first': hasattr(json, 'left_by_first')}\n");
        assertEquals("{}", ConfigSandbox.evaluateToJson(first));
        assertEquals("{\"sees_first\": false}", ConfigSandbox.evaluateToJson(second));
    }

    @Test
    void refusesImportsOutsideTheAllowListHoweverWritten() throws IOException {
        for (String body : new String[] {
            "import os\ndef get_config():\n    return {'os': str(os)}\n",
            "def get_config():\n    import subprocess\n    return {}\n",
            "def get_config():\n    return {'os': str(__import__('os'))}\n",
        }) {
            assertTrue(refused(body).getMessage().contains("ImportError: import of '"), body);
        }
    }

    @Test
    void refusesEvalExecAndOpenHoweverReached() throws IOException {
        for (String body : new String[] {
            "def get_config():\n    return {'x': eval('1')}\n",
            "f = lambda: exec('y = 1')\ndef get_config():\n    f()\n    return {}\n",
            "def get_config():\n    return {'x': list(map(eval, ['1']))}\n",
            "import typing\ndef get_config():\n    return {'x': typing.sys.modules['builtins'].eval('1')}\n",
        }) {
            assertTrue(refused(body).getMessage().contains("is not available in a config file"), body);
        }
    }

    @Test
    void letsAllowedModulesUseWhatConfigsMayNot() throws IOException {
        // dataclasses and namedtuple build their methods with exec and eval.
        Path f = config("""
                import collections, dataclasses
                @dataclasses.dataclass
                class Trunk:
                    embed_dim: int = 64
                Pair = collections.namedtuple("Pair", "a b")
                def get_config():
                    return {"trunk": dataclasses.asdict(Trunk()), "pair": Pair(1, 2)._asdict()}
                """);
        assertEquals("{\"trunk\": {\"embed_dim\": 64}, \"pair\": {\"a\": 1, \"b\": 2}}", ConfigSandbox.evaluateToJson(f));
    }

    @Test
    void refusesProcessCreationReachedAroundTheImportGuard() throws IOException {
        Path marker = dir.resolve("marker");
        String denied = "java.lang.SecurityException: Process creation is not allowed";
        Map<String, String> problems = Map.of(
                "import typing\ndef get_config():\n    typing.sys.modules['os'].system('touch " + marker + "')\n    return {}\n", denied,
                "import typing\ndef get_config():\n    typing.sys.modules['posix'].system('touch " + marker + "')\n    return {}\n", denied,
                "import typing\ndef get_config():\n    sp = typing.sys.modules['_frozen_importlib'].__import__('subprocess')\n"
                        + "    sp.run(['touch', " + pyString(marker) + "])\n    return {}\n",
                "PermissionError: [Errno 1] Operation not permitted");
        for (Map.Entry<String, String> attempt : problems.entrySet()) {
            assertTrue(refused(attempt.getKey()).getMessage().contains(attempt.getValue()), attempt.getKey());
        }
        assertFalse(Files.exists(marker));
    }

    @Test
    void refusesFileAccessReachedAroundTheImportGuard() throws IOException {
        Path target = dir.resolve("written-by-config.txt");
        Path secret = dir.resolve("secret.txt");
        Files.writeString(secret, "not for configs");
        String notAvailable = "NameError: 'open' is not available in a config file";
        String denied = "PermissionError: [Errno 1] Operation not permitted";
        Map<String, String> problems = Map.of(
                "def get_config():\n    open(" + pyString(target) + ", 'w').write('x')\n    return {}\n", notAvailable,
                "import typing\ndef get_config():\n    typing.sys.modules['builtins'].open(" + pyString(target) + ", 'w').write('x')\n"
                        + "    return {}\n", notAvailable,
                // codecs, and io reached through the import machinery, open files themselves: the host refuses.
                "import typing\ndef get_config():\n    typing.sys.modules['codecs'].open(" + pyString(target) + ", 'w').write('x')\n"
                        + "    return {}\n", denied,
                "import typing\ndef get_config():\n    io = typing.sys.modules['_frozen_importlib'].__import__('io')\n"
                        + "    return {'secret': io.open(" + pyString(secret) + ").read()}\n", denied);
        for (Map.Entry<String, String> attempt : problems.entrySet()) {
            assertTrue(refused(attempt.getKey()).getMessage().contains(attempt.getValue()), attempt.getKey());
        }
        assertFalse(Files.exists(target));
    }

    @Test
    void namesTheConfigsLineOfAnError() throws IOException {
        assertTrue(refused("def get_config():\n    width = 64\n    return {'x': width // 0}\n").getMessage()
                .matches(".*: Python error: ZeroDivisionError: .* \\(line 3\\)"));
        assertTrue(refused("x = 1\n").getMessage().endsWith("Python error: NameError: the file defines no get_config() function"));
    }

    @Test
    void reportsAWrongReturnTypeAndAnExit() throws IOException {
        assertTrue(refused("def get_config():\n    return [1]\n").getMessage().contains("not a dict"));
        assertTrue(refused("import typing\ndef get_config():\n    typing.sys.modules['os']._exit(3)\n").getMessage()
                .endsWith("the config exited (status 3) instead of returning from get_config()"));
    }

    private static String pyString(Path p) {
        return "'" + p.toString().replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
