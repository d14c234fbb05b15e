package ai.aim4j.arrow;

/** A rank's samples in delivery order: the next dataset index, its epoch, and where to resume. */
public interface SampleStream {
    /** Whether there are samples at all (a rank of a world larger than the dataset may have none). */
    boolean hasNext();

    /** The epoch of the next sample (it seeds the sample's augmentation and prefix). */
    long nextEpoch();

    /** The next dataset index. */
    int next();

    /** Where the stream stands: resuming from here continues with the next sample. */
    Sampler.Cursor cursor();
}
