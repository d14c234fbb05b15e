package ai.aim4j.arrow.source;

import ai.aim4j.arrow.DatasetInfo;
import ai.aim4j.arrow.ShardSchema.Encoding;
import java.io.IOException;

/**
 * Samples {@code [from, to)} of another source under a split name of their own, keeping the source's
 * ids: how a validation part is held out of a training split without copying or renumbering it.
 */
public final class Slice implements ImageSource {
    private final ImageSource source;
    private final long from;
    private final long to;
    private final DatasetInfo info;

    public Slice(ImageSource source, long from, long to, String split) {
        if (from < 0 || to <= from || to > source.size()) {
            throw new IllegalArgumentException("slice [" + from + ", " + to + ") is outside the " + source.size() + " samples of "
                    + source.info().source());
        }
        this.source = source;
        this.from = from;
        this.to = to;
        DatasetInfo s = source.info();
        this.info = new DatasetInfo(s.classNames(), split, s.source() + " [" + from + ", " + to + ")");
    }

    @Override
    public DatasetInfo info() {
        return info;
    }

    @Override
    public long size() {
        return to - from;
    }

    @Override
    public Encoding encoding() {
        return source.encoding();
    }

    @Override
    public int[] rawShape() {
        return source.rawShape();
    }

    @Override
    public Sample get(long index) throws IOException {
        return source.get(from + index);
    }
}
