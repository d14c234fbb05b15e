package ai.aim4j.cli;

import ai.aim4j.dist.Jobs;
import ai.aim4j.dist.SharedFailure;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine;

/** The {@code aim4j} command line. */
@Command(name = "aim4j", mixinStandardHelpOptions = true, version = "aim4j " + Main.VERSION,
        description = "Autoregressive Image Models (AIM) on the JVM, checked against the official numerics.",
        subcommands = {DemoCommand.class, ReproduceCommand.class, ShardCommand.class, PretrainCommand.class, ProbeCommand.class, EvalCommand.class, DataCommand.class, InspectCommand.class, ConvertCommand.class, ParityCommand.class, InitCommand.class,
                FeaturesCommand.class, BenchCommand.class, LaunchCommand.class, StreamCommand.class, PythonCommand.class, CommandLine.HelpCommand.class})
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
        // Everything after launch's own options is the command it runs, options included.
        cli.getSubcommands().get("launch").setStopAtPositional(true);
        cli.setExecutionStrategy(parsed -> {
            List<String> path = new ArrayList<>();
            for (ParseResult p = parsed.subcommand(); p != null; p = p.subcommand()) {
                path.add(p.commandSpec().name());
            }
            String name = String.join(" ", path);
            // The benchmark of the collectives starts its own job.
            if (!path.isEmpty() && !LaunchCommand.DISTRIBUTED.contains(path.getFirst()) && !name.equals("bench allreduce")) {
                try {
                    int world = Jobs.declaredWorld();
                    if (world > 1) {
                        throw new IllegalStateException("aim4j " + name + " runs as one process, not as one of " + world
                                + " ranks; the commands that run on several are " + String.join(", ", LaunchCommand.DISTRIBUTED.stream().sorted().toList()));
                    }
                } catch (IllegalStateException e) {
                    return fail(cli.getErr(), e);
                }
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        try {
            return cli.execute(args);
        } catch (Error e) {
            // Picocli hands its handler only Exceptions: an Error from a command (out of memory, a missing class) lands here.
            return fail(cli.getErr(), e);
        }
    }

    /** Reports a failure in one line (with its stack trace when {@code AIM4J_DEBUG} is set); returns the exit code 1. */
    static int fail(PrintWriter err, Throwable ex) {
        err.println("aim4j: error: " + describe(ex));
        if (System.getenv("AIM4J_DEBUG") != null) {
            ex.printStackTrace(err);
        }
        err.flush();
        return 1;
    }

    /** The one line that reports a failure. */
    static String describe(Throwable ex) {
        if (ex instanceof SharedFailure && ex.getCause() != null) {
            return describe(ex.getCause());
        }
        String msg = ex.getMessage();
        if (msg == null || msg.isBlank()) {
            msg = ex.getClass().getSimpleName();
        } else if (ex instanceof Error) {
            msg = ex.getClass().getSimpleName() + ": " + msg;
        }
        if (ex instanceof NoSuchFileException) {
            msg = "no such file: " + msg;
        } else if (ex instanceof FileAlreadyExistsException) {
            // Most often an output folder's path taken by a file.
            msg = "already exists (a file where a folder or a new file was to go): " + msg;
        }
        return msg;
    }
}
