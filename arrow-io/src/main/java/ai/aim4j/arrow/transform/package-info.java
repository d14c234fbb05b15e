/**
 * Image transforms on the loader's threads: decoding, Pillow's antialiased bicubic resize, ml-aim's
 * eval transform, the pre-training augmentation, normalization into a batch buffer.
 */
package ai.aim4j.arrow.transform;
