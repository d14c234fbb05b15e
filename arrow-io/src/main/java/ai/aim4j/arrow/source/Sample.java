package ai.aim4j.arrow.source;

/**
 * One image of a source: a stable id, its label, and either raw HWC uint8 pixels or encoded bytes.
 *
 * @param id    stable across re-sharding (the index in the source)
 * @param label class index
 * @param image raw pixels or encoded file bytes, per the source's encoding
 * @param path  where the image came from, or null
 */
public record Sample(long id, int label, byte[] image, String path) {}
