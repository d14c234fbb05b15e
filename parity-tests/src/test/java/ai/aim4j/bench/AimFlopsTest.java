package ai.aim4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.aim4j.interop.worker.PythonEnvironment;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.config.PretrainConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The FLOP counts the benchmarks divide by, against PyTorch's own count ({@code FlopCounterMode},
 * which adds up every matrix product dispatched) of aim4j's reference models: the forward pass with
 * the probe head, a probe head's training step on frozen features, and the pre-training step. Both
 * count products only, so they agree exactly (to the rounding of a double).
 */
class AimFlopsTest {
    private static final String COUNT = """
            import json, sys, torch
            from torch.utils.flop_counter import FlopCounterMode
            from aim4j.reference.config import config_from_json
            from aim4j.reference.torch_models import AimModel, AimPretrainModel, AttentionPoolingHead
            cfg = config_from_json(sys.argv[1])
            pre = config_from_json(sys.argv[2])
            b = 2
            model = AimModel(cfg, with_head=True).float().eval()
            with torch.no_grad(), FlopCounterMode(display=False) as forward:
                model(torch.randn(b, cfg.num_channels, *cfg.img_size), None)
            head = AttentionPoolingHead(cfg).train()
            with FlopCounterMode(display=False) as step:
                logits = head(torch.randn(b, cfg.num_patches, cfg.embed_dim))
                torch.nn.functional.cross_entropy(logits, torch.zeros(b, dtype=torch.long)).backward()
            n = pre.trunk.num_patches
            mask = torch.arange(n)[None, :] >= torch.tensor([[n // 2], [n // 3]])
            allowed = torch.ones(n, n, dtype=torch.bool).tril() | ~mask[:, None, None, :]
            with FlopCounterMode(display=False) as train:
                AimPretrainModel(pre)(torch.randn(b, pre.trunk.num_channels, *pre.trunk.img_size), mask, allowed)["loss"].backward()
            print(json.dumps({"forward": forward.get_total_flops() / b, "probe_step": step.get_total_flops() / b,
                              "pretrain_step": train.get_total_flops() / b}))
            """;

    @Test
    void theCountsAreWhatPyTorchCounts(@TempDir Path dir) throws Exception {
        AimConfig c = AimConfig.vit("w48", 16, 4, 3, 48, 2, 4).withNumClasses(7);
        PretrainConfig pre = new PretrainConfig(c.withLayerNormEps(1e-5), 32, 2, 4, 1e-5);
        Path config = dir.resolve("config.json");
        Path preConfig = dir.resolve("pretrain.json");
        new ObjectMapper().writeValue(config.toFile(), c.toJson());
        new ObjectMapper().writeValue(preConfig.toFile(), pre.toJson());
        Process p = PythonEnvironment.locate().process(List.of("-c", COUNT, config.toString(), preConfig.toString())).redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        String[] lines = out.strip().split("\n");
        JsonNode counted = new ObjectMapper().readTree(lines[lines.length - 1]);
        assertEquals(counted.get("forward").asDouble(), AimFlops.forwardPerImage(c), 1e-9 * AimFlops.forwardPerImage(c));
        assertEquals(counted.get("probe_step").asDouble(), AimFlops.probeStepPerImage(c), 1e-9 * AimFlops.probeStepPerImage(c));
        assertEquals(counted.get("pretrain_step").asDouble(), AimFlops.pretrainStepPerImage(pre), 1e-9 * AimFlops.pretrainStepPerImage(pre));
    }
}
