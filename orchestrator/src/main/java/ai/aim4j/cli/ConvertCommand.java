package ai.aim4j.cli;

import ai.aim4j.model.Aim;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.run.ModelSpecs;
import ai.aim4j.weights.WeightFiles;
import ai.aim4j.weights.WeightFormat;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code aim4j convert IN... OUT}: between .pth (read), safetensors and the Flax layouts (msgpack, npz, orbax checkpoints). */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert weights between .pth (read only), .safetensors, Flax .msgpack, Flax .npz and orbax checkpoint folders (orbax:DIR)."
                + " Several inputs (a backbone and a head file) are merged.")
final class ConvertCommand implements Callable<Integer> {
    @Parameters(arity = "2..*", description = "input file(s), then the output file (orbax:DIR for an orbax checkpoint folder)")
    List<Path> files;

    @Option(names = "--to", description = "output format (default: from the output's extension): ${COMPLETION-CANDIDATES}")
    WeightFormat to;

    @Option(names = "--trunk-only", description = "keep only the trunk (preprocessor.*, trunk.*): e.g. a pre-trained backbone for inference,"
            + " in ml-aim's layout (ml-l3m checkpoints are read with q/k/v fused into qkv)")
    boolean trunkOnly;

    @Override
    public Integer call() throws Exception {
        List<Path> inputs = files.subList(0, files.size() - 1);
        Path out = files.getLast();
        WeightFormat format = to != null ? to : WeightFormat.ofName(out);
        try (NamedTensors t = WeightFiles.read(inputs)) {
            SequencedMap<String, HostTensor> tensors = new LinkedHashMap<>(t.tensors());
            AimConfig config = ModelSpecs.inferred(t);
            Aim model = new Aim(config, !trunkOnly && Aim.holdsProbeHead(tensors));
            if (trunkOnly) {
                // The inference trunk's own persistent tensors: no probe or pixel head, no stored position table.
                var declared = model.namedParameters();
                tensors.keySet().removeIf(k -> !declared.containsKey(k) || !declared.get(k).persistent());
            }
            WeightFiles.write(out, format, tensors, model);
            System.out.printf("wrote %s (%s, %d tensors, %.1f MB)%n", out, format, tensors.size(),
                    tensors.values().stream().mapToLong(x -> x.data().byteSize()).sum() / 1e6);
        }
        return 0;
    }
}
