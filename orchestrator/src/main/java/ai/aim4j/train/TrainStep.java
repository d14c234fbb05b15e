package ai.aim4j.train;

import ai.aim4j.dist.BucketedSum;
import ai.aim4j.dist.Collectives;
import ai.aim4j.model.AimPretraining;
import ai.aim4j.model.PixelLoss;
import ai.aim4j.model.aten.Aten;
import ai.aim4j.model.nn.Autocast;
import ai.aim4j.model.optim.AdamW;
import ai.aim4j.model.optim.GradClip;
import ai.aim4j.model.tensor.TensorMemory;
import ai.aim4j.run.Precision;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * One optimizer step of AIM pre-training over any number of micro-batches and ranks: each
 * micro-batch's masked loss sum is back-propagated as it comes; the ranks' gradient sums and loss
 * terms are summed over the job (in place, in buckets); the gradients are divided by the number of
 * loss terms of the whole global batch (so the loss and gradients are those of one big batch),
 * clipped by the global norm, and applied by AdamW, the same update on every rank, unless something
 * is not finite. With one rank nothing is communicated.
 */
public final class TrainStep implements AutoCloseable {
    private final AimPretraining model;
    private final AdamW optimizer;
    private final Collectives comm;
    private final Precision precision;
    private final BucketedSum buckets;
    private double sum;
    private double count;
    private long images;

    /**
     * What a step did.
     *
     * @param images    images of the global batch that were trained on
     * @param commS     seconds spent summing over the ranks
     * @param commBytes bytes of gradient each rank summed
     */
    public record Result(double loss, double gradNorm, double clipCoef, boolean applied, long images, double commS, long commBytes) {}

    /** @param precision the arithmetic of the forward pass (the backward pass follows what it recorded) */
    public TrainStep(AimPretraining model, AdamW optimizer, Collectives comm, Precision precision) {
        this.model = model;
        this.optimizer = optimizer;
        this.comm = comm;
        this.precision = precision;
        this.buckets = comm.world() > 1 ? new BucketedSum(comm, BucketedSum.DEFAULT_BUCKET_BYTES) : null;
    }

    /** Forward and backward of one micro-batch (its arrays belong to the caller's per-batch manager). */
    public void accumulate(NDArray images, NDArray prefixMask) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            PixelLoss.Terms loss;
            try (Autocast ignored = precision.scope()) {
                loss = model.loss(images, prefixMask);
            }
            sum += loss.sum().toType(DataType.FLOAT64, false).getDouble();
            count += loss.count();
            this.images += images.getShape().get(0);
            gc.backward(loss.sum());
        }
    }

    /**
     * Sums over the ranks, normalizes, clips and applies the accumulated gradients with learning rate
     * {@code lr}; with a non-finite loss or norm nothing is applied (on every rank: both are global).
     * Gradients are zeroed for the next step either way.
     */
    public Result finish(double lr, double clipNorm) {
        List<NDArray> grads = new ArrayList<>();
        for (NDArray p : model.trainableParameters().values()) {
            grads.add(p.getGradient());
        }
        long t0 = System.nanoTime();
        long bytes = 0;
        double[] totals = {sum, count, images};
        if (buckets != null) {
            comm.allReduceDoubles(totals);
            List<MemorySegment> memory = new ArrayList<>();
            for (NDArray g : grads) {
                if (g.getDataType() != DataType.FLOAT32) {
                    throw new IllegalStateException("gradients are summed over ranks as float32, not " + g.getDataType());
                }
                memory.add(TensorMemory.of(g));
            }
            bytes = buckets.sum(memory);
        }
        double commS = (System.nanoTime() - t0) / 1e9;
        double loss = totals[0] / totals[1];
        Aten.scaleInPlace(grads, 1.0 / totals[1]);
        GradClip.Result clip = GradClip.clip(grads, clipNorm);
        grads.forEach(NDArray::close);
        boolean finite = Double.isFinite(loss) && Double.isFinite(clip.norm());
        if (finite) {
            optimizer.step(lr);
        }
        optimizer.zeroGradients();
        sum = 0;
        count = 0;
        images = 0;
        return new Result(loss, clip.norm(), clip.coef(), finite, (long) totals[2], commS, bytes);
    }

    @Override
    public void close() {
        if (buckets != null) {
            buckets.close();
        }
    }
}
