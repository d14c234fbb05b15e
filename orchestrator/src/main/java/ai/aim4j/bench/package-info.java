/** Benchmarks: forward, load, data, training step and probe speed, as medians against peers measured in the same run. */
package ai.aim4j.bench;
