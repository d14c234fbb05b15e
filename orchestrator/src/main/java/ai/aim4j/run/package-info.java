/** What every engine shares: how a model is named (presets, config files, weights), progress reporting, process memory, the checks of counts given on the command line. */
package ai.aim4j.run;
