/** What every engine shares: how a model is named (presets, config files, weights), progress reporting, process memory. */
package ai.aim4j.run;
