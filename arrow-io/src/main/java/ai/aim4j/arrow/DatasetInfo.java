package ai.aim4j.arrow;

import java.util.List;

/**
 * What a dataset is, independent of its shards: class names (index = label), split and source.
 *
 * @param classNames names of the labels, index = label value
 * @param split      e.g. {@code train}, {@code test}
 * @param source     where it came from, e.g. {@code fashion-mnist:/usr/share/datasets/fashion-mnist}
 */
public record DatasetInfo(List<String> classNames, String split, String source) {
    public DatasetInfo {
        classNames = List.copyOf(classNames);
    }
}
