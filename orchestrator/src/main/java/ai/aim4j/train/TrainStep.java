package ai.aim4j.train;

import ai.aim4j.model.AimPretraining;
import ai.aim4j.model.optim.AdamW;
import ai.aim4j.model.optim.GradClip;
import ai.aim4j.model.optim.InPlace;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;

/**
 * One optimizer step of AIM pre-training over any number of micro-batches: each micro-batch's
 * masked loss sum is back-propagated as it comes, the accumulated gradients are divided by the
 * number of loss terms of the whole batch (so the loss and gradients are those of one big batch),
 * clipped by global norm, and applied by AdamW unless something is not finite.
 */
public final class TrainStep {
    private final AimPretraining model;
    private final AdamW optimizer;
    private double sum;
    private double count;

    /** What a step did. */
    public record Result(double loss, double gradNorm, double clipCoef, boolean applied) {}

    public TrainStep(AimPretraining model, AdamW optimizer) {
        this.model = model;
        this.optimizer = optimizer;
    }

    /** Forward and backward of one micro-batch (its arrays belong to the caller's per-batch manager). */
    public void accumulate(NDArray images, NDArray prefixMask) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            var loss = model.forward(images, prefixMask).loss();
            sum += loss.sum().toType(DataType.FLOAT64, false).getDouble();
            count += loss.count();
            gc.backward(loss.sum());
        }
    }

    /**
     * Normalizes, clips and applies the accumulated gradients with learning rate {@code lr}; with a
     * non-finite loss or norm nothing is applied. Gradients are zeroed for the next step either way.
     */
    public Result finish(double lr, double clipNorm) {
        double loss = sum / count;
        List<NDArray> grads = new ArrayList<>();
        for (NDArray p : model.trainableParameters().values()) {
            grads.add(p.getGradient());
        }
        for (NDArray g : grads) {
            InPlace.scale(g, 1.0 / count);
        }
        GradClip.Result clip = GradClip.clip(grads, clipNorm);
        grads.forEach(NDArray::close);
        boolean finite = Double.isFinite(loss) && Double.isFinite(clip.norm());
        if (finite) {
            optimizer.step(lr);
        }
        optimizer.zeroGradients();
        sum = 0;
        count = 0;
        return new Result(loss, clip.norm(), clip.coef(), finite);
    }
}
