/** Experiment configs written in Python, evaluated by GraalPy in a sandbox. */
package ai.aim4j.interop.python;
