package ai.aim4j.bench;

import ai.aim4j.files.FileTrees;
import ai.aim4j.model.config.PretrainConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the PyTorch-eager reference step ({@code torch_pretrain_step.py}, shipped in this jar) with
 * {@code /usr/bin/python3} and Debian's {@code python3-torch}. Debian's torch links the reference
 * BLAS (about 3 GFLOP/s); for a fair anchor OpenBLAS, from the {@code org.bytedeco:openblas}
 * artifact bundled here, is put in front of it as {@code libblas.so.3} and {@code liblapack.so.3}.
 */
public final class TorchReference {
    private static final String PYTHON = "/usr/bin/python3";
    private static final List<String> LIBS = List.of("libopenblas.so.0", "libgfortran.so.5", "libquadmath.so.0", "libgcc_s.so.1");

    private TorchReference() {}

    /** Whether the reference can run here (python3 with torch importable). */
    public static String unavailable() {
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return PYTHON + " cannot import torch (install Debian's python3-torch)";
            }
            return null;
        } catch (IOException | InterruptedException e) {
            return PYTHON + " is not available (" + e.getMessage() + ")";
        }
    }

    /** The reference's median step time and images/s for the geometry. */
    public static JsonNode run(PretrainConfig c, int batch, int warmup, int steps, int threads) throws IOException {
        Path tmp = Files.createTempDirectory("aim4j-torch-ref");
        try {
            Path script = tmp.resolve("torch_pretrain_step.py");
            copy("torch_pretrain_step.py", script);
            Path libs = Files.createDirectories(tmp.resolve("lib"));
            for (String lib : LIBS) {
                copy("/org/bytedeco/openblas/linux-x86_64/" + lib, libs.resolve(lib));
            }
            Files.createSymbolicLink(libs.resolve("libblas.so.3"), Path.of("libopenblas.so.0"));
            Files.createSymbolicLink(libs.resolve("liblapack.so.3"), Path.of("libopenblas.so.0"));
            ObjectNode cfg = new ObjectMapper().createObjectNode();
            cfg.put("channels", c.trunk().channels()).put("img", c.trunk().imgSize()[0]).put("patch", c.trunk().patchSize()[0])
                    .put("dim", c.trunk().dim()).put("blocks", c.trunk().blocks()).put("heads", c.trunk().heads())
                    .put("head_width", c.headWidth()).put("head_blocks", c.headBlocks()).put("batch", batch)
                    .put("warmup", warmup).put("steps", steps).put("threads", threads);
            ProcessBuilder pb = new ProcessBuilder(PYTHON, script.toString(), cfg.toString()).redirectErrorStream(true);
            pb.environment().put("LD_LIBRARY_PATH", libs.toString());
            pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor(30, TimeUnit.MINUTES);
            if (p.exitValue() != 0) {
                throw new IOException("the PyTorch reference failed:\n" + out);
            }
            String last = out.strip().lines().reduce((a, b) -> b).orElse("");
            return new ObjectMapper().readTree(last);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            FileTrees.delete(tmp);
        }
    }

    private static void copy(String resource, Path to) throws IOException {
        try (InputStream in = TorchReference.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("resource " + resource + " is missing from the build");
            }
            Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
