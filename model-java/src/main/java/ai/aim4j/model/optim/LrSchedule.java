package ai.aim4j.model.optim;

/**
 * The recipe's learning rate: linear warmup from {@code start} to {@code peak} over the first
 * {@code warmupFraction} of training, then half-cosine to {@code end}, with fvcore's
 * CompositeParamScheduler conventions ({@code where = step / total}; a phase switch at
 * {@code where + 1e-6 > warmupFraction}). Iteration {@code i} (0-based) runs with {@code at(i)}.
 */
public record LrSchedule(double peak, double start, double end, double warmupFraction, long total) {
    /** The recipe: 1e-6 -> lr over 2.5% of the steps, then cosine to 0. */
    public static LrSchedule recipe(double lr, long total) {
        return new LrSchedule(lr, 1e-6, 0.0, 0.025, total);
    }

    /** The learning rate of iteration {@code step}, counted from 0. */
    public double at(long step) {
        double where = (double) step / total;
        if (where + 1e-6 > warmupFraction) {
            double w = (where - warmupFraction) / (1 - warmupFraction);
            return end + 0.5 * (peak - end) * (1 + Math.cos(Math.PI * w));
        }
        double w = where / warmupFraction;
        return peak * w + start * (1 - w);
    }
}
