/**
 * Tensors outside the engine: element types, shapes and little-endian bytes in memory segments (a
 * slice of a mapped file, or memory of their own), handed to the engine without a copy where possible.
 */
package ai.aim4j.model.tensor;
