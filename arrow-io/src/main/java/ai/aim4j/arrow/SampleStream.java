package ai.aim4j.arrow;

/** A rank's samples in delivery order: the next dataset index, its epoch, and where to resume. */
public interface SampleStream {
    /** Whether there is a next sample (endless streams always have one). */
    boolean hasNext();

    /** The epoch of the next sample (it seeds the sample's augmentation and prefix). */
    long nextEpoch();

    /** The next dataset index. */
    int next();

    /** Where the stream stands: resuming from here continues with the next sample. */
    Sampler.Cursor cursor();
}
