/** Importers: the sources a dataset is sharded from (Fashion-MNIST IDX, image folders, npy, synthetic). */
package ai.aim4j.arrow.source;
