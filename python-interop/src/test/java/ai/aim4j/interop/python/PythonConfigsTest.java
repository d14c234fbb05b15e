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

/** Python configs evaluate to their dict, and every way out of the sandbox fails cleanly without effect. */
class PythonConfigsTest {
    @TempDir
    Path dir;

    private Path config(String body) throws IOException {
        Path f = dir.resolve("exp_" + Math.abs(body.hashCode()) + ".py");
        Files.writeString(f, body);
        return f;
    }

    @Test
    void evaluatesGetConfigWithComputationAndAllowedImports() throws IOException {
        Path f = config("""
                import math
                def get_config():
                    width = 64 * 3
                    return {"embed_dim": width, "num_blocks": 2 + 1, "num_heads": width // 64,
                            "img_size": [28, 28], "patch_size": [4, 4], "lr": math.sqrt(1e-6)}
                """);
        String json = PythonConfigs.evaluateToJson(f);
        assertTrue(json.contains("\"embed_dim\": 192"), json);
        assertTrue(json.contains("\"num_heads\": 3"), json);
        assertTrue(json.contains("\"lr\": 0.001"), json);
    }

    @Test
    void refusesFileAccessAndLeavesNoFile() throws IOException {
        Path target = dir.resolve("written-by-config.txt");
        Path f = config("def get_config():\n    open(" + pyString(target) + ", 'w').write('x')\n    return {}\n");
        PythonConfigException e = assertThrows(PythonConfigException.class, () -> PythonConfigs.evaluateToJson(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertFalse(Files.exists(target));
    }

    @Test
    void refusesOsAndSubprocessAndRunsNothing() throws IOException {
        Path marker = dir.resolve("marker");
        for (String body : new String[] {
            "import os\nos.system('touch " + marker + "')\ndef get_config():\n    return {}\n",
            "import subprocess\nsubprocess.run(['touch', " + pyString(marker) + "])\ndef get_config():\n    return {}\n",
            "def get_config():\n    __import__('os').system('touch " + marker + "')\n    return {}\n",
            "def get_config():\n    return eval('1')\n",
        }) {
            PythonConfigException e = assertThrows(PythonConfigException.class, () -> PythonConfigs.evaluateToJson(config(body)));
            assertTrue(e.getMessage().contains("Python error"), e.getMessage());
        }
        assertFalse(Files.exists(marker));
    }

    @Test
    void reportsAMissingGetConfigAndWrongReturnType() throws IOException {
        PythonConfigException none = assertThrows(PythonConfigException.class, () -> PythonConfigs.evaluateToJson(config("x = 1\n")));
        assertTrue(none.getMessage().contains("get_config"), none.getMessage());
        PythonConfigException list = assertThrows(PythonConfigException.class,
                () -> PythonConfigs.evaluateToJson(config("def get_config():\n    return [1]\n")));
        assertTrue(list.getMessage().contains("not a dict"), list.getMessage());
        // The shared context still works after failures.
        assertEquals("{\"a\": 1}", PythonConfigs.evaluateToJson(config("def get_config():\n    return {'a': 1}\n")));
    }

    private static String pyString(Path p) {
        return "'" + p.toString().replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
