/** Attentive probing: cached trunk features, a grid of heads trained side by side, the grid point chosen on a held-out part. */
package ai.aim4j.probe;
