package ai.aim4j.bench;

import ai.aim4j.run.Precision;

/** A contestant in this JVM: one call of {@code work} is one step (or forward pass). */
public record InProcess(String name, Precision precision, Runnable work) implements Contestant {
    @Override
    public double warmUp(int calls, double seconds) {
        return Timing.warmUp(calls, seconds, work);
    }

    @Override
    public double[] time(int calls, double seconds) {
        return Timing.times(calls, seconds, work);
    }
}
