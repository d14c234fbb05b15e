package ai.aim4j.cli;

import ai.aim4j.model.Aim;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.nn.Initializer;
import ai.aim4j.model.tensor.TensorSource;
import ai.aim4j.run.ModelSpecs;
import ai.aim4j.weights.SafeTensors;
import java.nio.file.Path;
import java.util.Map;
import java.util.SequencedMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code aim4j init}: a randomly initialized model with the official initialization, as safetensors. */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Write a randomly initialized model (official initialization) as safetensors, one tensor in memory at a time.")
final class InitCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--out", required = true, description = "output .safetensors file")
    Path out;

    @Option(names = "--seed", defaultValue = "0", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--trunk-only", description = "write only preprocessor.* and trunk.* (a backbone file)")
    boolean trunkOnly;

    @Override
    public Integer call() throws Exception {
        AimConfig c = model.resolve(null);
        long start = System.nanoTime();
        SequencedMap<String, TensorSource> tensors = Initializer.tensors(new Aim(c, !trunkOnly), seed);
        SafeTensors.write(out, tensors, Map.of("format", "pt", ModelSpecs.STORED_CONFIG, c.toJson().toString(), "aim4j_seed", Long.toString(seed)));
        long values = tensors.values().stream().mapToLong(t -> t.byteSize() / t.dtype().byteSize()).sum();
        System.out.printf("wrote %s: %s, %,d values, seed %d, %.1f s%n", out, c.name(), values, seed, (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
