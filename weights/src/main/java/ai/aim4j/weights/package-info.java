/**
 * Every weights format in one place: safetensors (memory-mapped), PyTorch {@code .pth} (zip and
 * storages; the pickle through the restricted unpickler), Flax msgpack and npz, NumPy npy; and
 * {@link ai.aim4j.weights.WeightFiles}, which presents any of them under aim4j's internal names.
 */
package ai.aim4j.weights;
