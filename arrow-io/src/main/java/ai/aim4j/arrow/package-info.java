/**
 * The data layer: datasets as Arrow IPC shards with a manifest ({@link ai.aim4j.arrow.ShardWriter},
 * {@link ai.aim4j.arrow.DatasetWriter}, {@link ai.aim4j.arrow.Manifest}), read through memory maps
 * ({@link ai.aim4j.arrow.ShardSet}, also Hugging Face {@code save_to_disk} folders), an exactly-once,
 * resumable sample order across ranks ({@link ai.aim4j.arrow.Sampler}), and batches assembled on
 * loader threads into recycled native buffers ({@link ai.aim4j.arrow.BatchLoader}). Knows nothing of
 * the model.
 */
package ai.aim4j.arrow;
