/** Feature extraction: per-image probe features as {@code .npy}, or Arrow feature shards of a whole dataset. */
package ai.aim4j.features;
