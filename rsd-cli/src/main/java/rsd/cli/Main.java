package rsd.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine;
import rsd.error.RsdException;

/** The {@code rsd} command line. Each subcommand lives in its own class in this package. */
@Command(name = "rsd", mixinStandardHelpOptions = true, version = "rsd 0.1.0",
        description = "Rule-based speculative decoding for Llama-3-family models.",
        subcommands = {
            CommandLine.HelpCommand.class,
            InspectCommand.class,
            QuantizeCommand.class,
            RandomModelCommand.class,
            BenchEngineCommand.class,
            TokenizeCommand.class,
            GenerateCommand.class,
            ChatCommand.class,
            BenchCommand.class,
            MinePatternsCommand.class,
            ReplayCommand.class,
            IndexCommand.class,
            AnalyzeCommand.class,
            PerplexityCommand.class,
            ServeCommand.class,
        })
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit code (tests call this). Bad input: one line on stderr, exit 2. */
    public static int run(String... args) {
        return configure(new CommandLine(new Main())).execute(args);
    }

    /** Installs the error handlers: a user error is one line on stderr and exit code 2, never a stack trace. */
    static CommandLine configure(CommandLine cl) {
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            Throwable t = ex;
            while (!(t instanceof RsdException) && t.getCause() != null && t != t.getCause()) {
                t = t.getCause();
            }
            if (t instanceof RsdException) {
                commandLine.getErr().println("rsd: " + t.getMessage());
                return 2;
            }
            throw ex;
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("rsd: " + ex.getMessage());
            ex.getCommandLine().getErr().println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return 2;
        });
        return cl;
    }
}
