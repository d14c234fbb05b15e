package ai.aim4j.cli;

import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code aim4j} command line. */
@Command(name = "aim4j", mixinStandardHelpOptions = true, version = "aim4j " + Main.VERSION,
        description = "Autoregressive Image Models (AIM) on the JVM, checked against the official numerics.",
        subcommands = {DemoCommand.class, ReproduceCommand.class, ShardCommand.class, PretrainCommand.class, ProbeCommand.class, EvalCommand.class, DataCommand.class, InspectCommand.class, ConvertCommand.class, ParityCommand.class, InitCommand.class,
                FeaturesCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    /** The project's version, as the launcher and reports show it. */
    public static final String VERSION = "0.1.0";

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs one command line and returns its exit code (0 success, 1 failure, 2 bad usage). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> fail(commandLine.getErr(), ex));
        try {
            return cli.execute(args);
        } catch (Error e) {
            // Picocli hands its handler only Exceptions: an Error from a command (out of memory, a missing class) lands here.
            return fail(cli.getErr(), e);
        }
    }

    private static int fail(PrintWriter err, Throwable ex) {
        err.println("aim4j: error: " + describe(ex));
        if (System.getenv("AIM4J_DEBUG") != null) {
            ex.printStackTrace(err);
        }
        err.flush();
        return 1;
    }

    private static String describe(Throwable ex) {
        String msg = ex.getMessage();
        if (msg == null || msg.isBlank()) {
            msg = ex.getClass().getSimpleName();
        } else if (ex instanceof Error) {
            msg = ex.getClass().getSimpleName() + ": " + msg;
        }
        if (ex instanceof NoSuchFileException) {
            msg = "no such file: " + msg;
        }
        return msg;
    }
}
