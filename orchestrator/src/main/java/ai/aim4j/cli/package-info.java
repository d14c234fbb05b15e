/**
 * The {@code aim4j} command line (Picocli): each command parses its flags into an engine's typed
 * settings, calls the engine, and prints the result. Errors become one {@code aim4j: error:} line.
 */
package ai.aim4j.cli;
