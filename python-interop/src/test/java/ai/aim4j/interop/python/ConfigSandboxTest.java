package ai.aim4j.interop.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox's rules, in this JVM: every way out of it, through the import guard or around it by the
 * modules GraalPy has already loaded ({@code typing.sys.modules}), fails cleanly with one line naming the
 * file, and has no effect.
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
    void refusesImportsOutsideTheAllowListAndEval() throws IOException {
        Path marker = dir.resolve("marker");
        for (String body : new String[] {
            "import os\nos.system('touch " + marker + "')\ndef get_config():\n    return {}\n",
            "import subprocess\nsubprocess.run(['touch', " + pyString(marker) + "])\ndef get_config():\n    return {}\n",
            "def get_config():\n    __import__('os').system('touch " + marker + "')\n    return {}\n",
            "def get_config():\n    return eval('1')\n",
        }) {
            assertTrue(refused(body).getMessage().contains("Python error"));
        }
        assertFalse(Files.exists(marker));
    }

    @Test
    void refusesProcessCreationReachedAroundTheImportGuard() throws IOException {
        Path marker = dir.resolve("marker");
        for (String body : new String[] {
            "import typing\ndef get_config():\n    typing.sys.modules['os'].system('touch " + marker + "')\n    return {}\n",
            "import typing\ndef get_config():\n    typing.sys.modules['posix'].system('touch " + marker + "')\n    return {}\n",
            "import typing\ndef get_config():\n    sp = typing.sys.modules['_frozen_importlib'].__import__('subprocess')\n"
                    + "    sp.run(['touch', " + pyString(marker) + "])\n    return {}\n",
        }) {
            refused(body);
        }
        assertFalse(Files.exists(marker));
    }

    @Test
    void refusesFileAccessReachedAroundTheImportGuard() throws IOException {
        Path target = dir.resolve("written-by-config.txt");
        Path secret = dir.resolve("secret.txt");
        Files.writeString(secret, "not for configs");
        for (String body : new String[] {
            "def get_config():\n    open(" + pyString(target) + ", 'w').write('x')\n    return {}\n",
            "import typing\ndef get_config():\n    typing.sys.modules['builtins'].open(" + pyString(target) + ", 'w').write('x')\n"
                    + "    return {}\n",
            "import typing\ndef get_config():\n    typing.sys.modules['codecs'].open(" + pyString(target) + ", 'w').write('x')\n"
                    + "    return {}\n",
            "import typing\ndef get_config():\n    io = typing.sys.modules['_frozen_importlib'].__import__('io')\n"
                    + "    return {'secret': io.open(" + pyString(secret) + ").read()}\n",
        }) {
            assertTrue(refused(body).getMessage().contains("PermissionError"));
        }
        assertFalse(Files.exists(target));
    }

    @Test
    void reportsAMissingGetConfigAWrongReturnTypeAndAnExit() throws IOException {
        assertTrue(refused("x = 1\n").getMessage().contains("get_config"));
        assertTrue(refused("def get_config():\n    return [1]\n").getMessage().contains("not a dict"));
        assertTrue(refused("import typing\ndef get_config():\n    typing.sys.modules['os']._exit(3)\n").getMessage()
                .endsWith("the config exited (status 3) instead of returning from get_config()"));
        assertEquals("{\"a\": 1}", ConfigSandbox.evaluateToJson(config("def get_config():\n    return {'a': 1}\n")));
    }

    private static String pyString(Path p) {
        return "'" + p.toString().replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
