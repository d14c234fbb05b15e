package ai.aim4j.cli;

import ai.aim4j.model.io.NamedTensors;
import ai.aim4j.weights.WeightFiles;
import ai.aim4j.weights.WeightFormat;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code aim4j convert IN... OUT}: between .pth (read), safetensors and the Flax layouts. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert weights between .pth (read only), .safetensors, Flax .msgpack and Flax .npz."
                + " Several inputs (a backbone and a head file) are merged.")
final class ConvertCommand implements Callable<Integer> {
    @Parameters(arity = "2..*", description = "input file(s), then the output file")
    List<Path> files;

    @Option(names = "--to", description = "output format (default: from the output's extension): ${COMPLETION-CANDIDATES}")
    WeightFormat to;

    @Override
    public Integer call() throws Exception {
        List<Path> inputs = files.subList(0, files.size() - 1);
        Path out = files.getLast();
        WeightFormat format = to != null ? to : WeightFormat.of(out);
        try (NamedTensors t = WeightFiles.read(inputs)) {
            WeightFiles.write(out, format, t.tensors());
            System.out.printf("wrote %s (%s, %d tensors, %.1f MB)%n", out, format, t.tensors().size(), t.totalBytes() / 1e6);
        }
        return 0;
    }
}
