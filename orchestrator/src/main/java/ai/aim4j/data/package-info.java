/** Datasets for the engines: sharding (the engine of {@code aim4j shard}), source specs, model input transforms, batches as tensors. */
package ai.aim4j.data;
