package ai.aim4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.aim4j.data.ShardSettings;
import ai.aim4j.eval.EvalSettings;
import ai.aim4j.features.FeatureSettings;
import ai.aim4j.probe.ProbeSettings;
import ai.aim4j.run.Precision;
import ai.aim4j.train.PretrainSettings;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every engine's settings name their equivalent command line, and that command line parses back to
 * the same settings: the commands a reproduction records run each number alone, as it was run.
 */
class CommandLineEquivalenceTest {
    /** The command object Picocli fills from {@code args}, without running it. */
    private static Object parse(List<String> args) {
        CommandLine cli = new CommandLine(new Main());
        return cli.parseArgs(args.toArray(String[]::new)).subcommand().commandSpec().userObject();
    }

    @Test
    void shardSettingsRoundTrip() {
        for (ShardSettings s : List.of(new ShardSettings("synthetic:600,16", Path.of("out/train"), 4, "train", null, 3, "0:480"),
                new ShardSettings("fashion-mnist", Path.of("d"), 1, "test", "png", 0, null))) {
            assertEquals(s, ((ShardCommand) parse(s.toArgs())).settings());
        }
    }

    @Test
    void pretrainSettingsRoundTrip() throws Exception {
        PretrainSettings s = PretrainSettings.recipe("data/train", "data/val", "model.json", "runs/w64", 800, 128, 1e-3, 7, 200, 2000, 5,
                Precision.BF16);
        assertEquals(s, ((PretrainCommand) parse(s.toArgs())).settings());
        PretrainSettings defaults = PretrainSettings.recipe("d", null, "aim-600M", "o", 10, 64, 1e-3, 0, 100, 2000, 3, Precision.FP32);
        assertEquals(List.of("pretrain", "--data", "d", "--model", "aim-600M", "--out", "o", "--steps", "10"), defaults.toArgs(),
                "only what differs from the defaults");
    }

    @Test
    void probeSettingsRoundTrip() {
        for (ProbeSettings.Trunk trunk : List.of(new ProbeSettings.Trunk.Weights(Path.of("w.safetensors")), new ProbeSettings.Trunk.Random(),
                new ProbeSettings.Trunk.Pixels())) {
            ProbeSettings s = new ProbeSettings(trunk, "model.json", Path.of("train"), Path.of("test"), Path.of("out"), "last", 4, 256,
                    List.of(1e-2, 3e-2), List.of(0.05), 0.1, 8000, Long.MAX_VALUE, 3, "none", true,
                    Precision.BF16);
            assertEquals(s, ((ProbeCommand) parse(s.toArgs())).settings());
        }
    }

    @Test
    void evalSettingsRoundTrip() {
        EvalSettings s = new EvalSettings(Path.of("b.pth"), Path.of("h.pth"), "aim-600M", "best", "imagefolder:/data/val", Path.of("e"), 500);
        assertEquals(s, ((EvalCommand) parse(s.toArgs())).settings());
    }

    @Test
    void featureSettingsRoundTrip() {
        for (FeatureSettings s : List.of(
                new FeatureSettings(List.of(Path.of("b.pth"), Path.of("h.pth")), "aim-1B", "12,13", true, Path.of("f"), 4, true, null,
                        List.of(Path.of("cat.jpg"), Path.of("dog.png")), Precision.BF16),
                new FeatureSettings(List.of(Path.of("w.safetensors")), "cfg.json", null, false, Path.of("f"), 8, false, Path.of("data"),
                        List.of(), Precision.FP32))) {
            assertEquals(s, ((FeaturesCommand) parse(s.toArgs())).settings());
        }
    }
}
