package ai.aim4j.cli;

import ai.aim4j.model.Aim;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.run.ModelSpecs;
import ai.aim4j.weights.Orbax;
import ai.aim4j.weights.WeightFiles;
import ai.aim4j.weights.WeightFormat;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code aim4j inspect FILE}: format, tensors, parameter count and the config a checkpoint implies. */
@Command(name = "inspect", mixinStandardHelpOptions = true, description = "Describe a weights file: format, tensors, parameters, implied config.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "weights file (.safetensors, .pth, .msgpack, .npz) or orbax:DIR")
    Path file;

    @Option(names = "--tensors", description = "list every tensor with its type and shape")
    boolean listTensors;

    @Override
    public Integer call() throws Exception {
        WeightFormat format = WeightFormat.of(file);
        try (NamedTensors t = WeightFiles.read(file)) {
            Map<String, Integer> types = new TreeMap<>();
            t.tensors().values().forEach(x -> types.merge(x.dtype().name(), 1, Integer::sum));
            long floats = t.tensors().values().stream().filter(x -> x.dtype().isFloatingPoint()).mapToLong(HostTensor::numel).sum();
            System.out.printf("file:        %s%n", file);
            System.out.printf("format:      %s%n", format);
            if (format == WeightFormat.ORBAX) {
                System.out.printf("layout:      %s%n", Orbax.layout(file).description());
            }
            System.out.printf("tensors:     %d %s%n", t.tensors().size(), types);
            System.out.printf("parameters:  %,d (%.1f MB of data)%n", floats, t.totalBytes() / 1e6);
            System.out.printf("parts:       %s%n", Aim.holdsProbeHead(t.tensors()) ? "trunk and probe head" : "trunk");
            try {
                AimConfig c = ModelSpecs.inferred(t);
                System.out.printf("config:      %s%n", c.toJson().toPrettyString().replace("\n", "\n             "));
                System.out.println("             (img_size, num_heads, layer_norm_eps and probe_layers are not stored in weights:"
                        + " taken from the stored config, the matching preset or ml-aim's defaults)");
            } catch (IllegalArgumentException e) {
                System.out.printf("config:      not an ml-aim layout (%s)%n", e.getMessage());
            }
            if (listTensors) {
                for (var e : t.tensors().entrySet()) {
                    HostTensor x = e.getValue();
                    System.out.printf("  %-50s %-5s %s%n", e.getKey(), x.dtype(), x.shapeString());
                }
            }
        }
        return 0;
    }
}
