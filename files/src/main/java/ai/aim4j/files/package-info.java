/**
 * File helpers every reader and writer of aim4j shares: atomic writes (temporary file, fsync,
 * rename), SHA-256 checksums, and the NumPy {@code .npy} header.
 */
package ai.aim4j.files;
