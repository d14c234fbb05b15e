package ai.aim4j.cli;

import ai.aim4j.interop.worker.PackageCheck;
import ai.aim4j.interop.worker.PackageStatus;
import ai.aim4j.interop.worker.PythonEnvironment;
import ai.aim4j.interop.worker.PythonSetup;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code aim4j python setup|info}: the Python environment of the JAX/PyTorch bridge. */
@Command(name = "python", mixinStandardHelpOptions = true, description = "The Python environment of the JAX/PyTorch bridge.",
        subcommands = {PythonCommand.Setup.class, PythonCommand.Info.class})
final class PythonCommand {

    @Command(name = "setup", mixinStandardHelpOptions = true,
            description = "Create or update the virtual environment (default: $AIM4J_VENV, else .venv in the checkout) with the pinned "
                    + "packages of python-interop/src/main/python/requirements.txt and aim4j's own package (editable), through pip "
                    + "with your own configuration, then check every version. With --python (or AIM4J_PYTHON) only check that interpreter.")
    static final class Setup implements Callable<Integer> {
        static final class Where {
            @Option(names = "--venv", description = "the virtual environment to create or update")
            Path venv;

            @Option(names = "--python", description = "an existing interpreter to check instead (nothing is installed into it)")
            Path python;
        }

        @ArgGroup(exclusive = true, multiplicity = "0..1")
        Where where = new Where();

        @Override
        public Integer call() throws IOException {
            String fromVariable = System.getenv(PythonEnvironment.PYTHON_VARIABLE);
            Path existing = where.python != null ? where.python
                    : where.venv == null && fromVariable != null && !fromVariable.isBlank() ? Path.of(fromVariable) : null;
            if (existing != null) {
                int code = report(PythonEnvironment.of(existing));
                if (code != 0) {
                    System.err.println("aim4j: " + existing + " is used as it is; to install the pins into it: " + existing
                            + " -m pip install -r " + requirements() + " -e " + PythonEnvironment.sources());
                }
                return code;
            }
            Path venv = (where.venv != null ? where.venv : PythonEnvironment.defaultVenv()).toAbsolutePath().normalize();
            PythonEnvironment env = PythonSetup.createOrReuse(venv, PythonCommand::progress);
            PythonSetup.install(env, requirements(), venv.resolve(PythonSetup.LOG), PythonCommand::progress);
            int code = report(env);
            if (code == 0) {
                progress("Python environment ready: " + venv + (venv.equals(PythonEnvironment.defaultVenv().toAbsolutePath().normalize())
                        ? "" : " (aim4j uses it with " + PythonEnvironment.VENV_VARIABLE + "=" + venv + ")"));
            }
            return code;
        }
    }

    @Command(name = "info", aliases = "check", mixinStandardHelpOptions = true,
            description = "Print the bridge interpreter's package versions against the pins, installing nothing; exit 1 when one is "
                    + "missing, broken or of another version.")
    static final class Info implements Callable<Integer> {
        @Option(names = "--python", description = "the interpreter to check (default: AIM4J_PYTHON, else the environment setup made)")
        Path python;

        @Override
        public Integer call() throws IOException {
            return report(python != null ? PythonEnvironment.of(python) : PythonEnvironment.locate());
        }
    }

    private static Path requirements() {
        return PythonEnvironment.sources().resolve("requirements.txt");
    }

    private static void progress(String line) {
        System.err.println("aim4j: " + line);
    }

    /** Prints the table of package versions and one error line per unusable package; returns the exit code. */
    private static int report(PythonEnvironment env) throws IOException {
        List<PackageStatus> packages = PackageCheck.check(env);
        int name = Math.max(7, packages.stream().mapToInt(p -> p.name().length()).max().orElse(0));
        int required = Math.max(8, packages.stream().mapToInt(p -> p.required().length()).max().orElse(0));
        int installed = Math.max(9, packages.stream().mapToInt(p -> p.installed() == null ? 1 : p.installed().length()).max().orElse(0));
        String row = "%-" + name + "s  %-" + required + "s  %-" + installed + "s  %s%n";
        StringBuilder table = new StringBuilder("interpreter: " + env.python() + "\n");
        table.append(String.format(row, "package", "required", "installed", "state"));
        for (PackageStatus p : packages) {
            table.append(String.format(row, p.name(), p.required(), p.installed() == null ? "-" : p.installed(),
                    p.state().name().toLowerCase(Locale.ROOT)));
        }
        packages.stream().filter(p -> p.state() == PackageStatus.State.UNLINKED)
                .forEach(p -> table.append("note: ").append(p.name()).append(": ").append(p.detail()).append('\n'));
        System.out.print(table);
        System.out.flush();
        for (PackageStatus p : packages) {
            if (!p.state().usable()) {
                System.err.println("aim4j: error: " + env.python() + ": " + p.name() + " " + p.detail());
            }
        }
        return PackageStatus.allUsable(packages) ? 0 : 1;
    }
}
