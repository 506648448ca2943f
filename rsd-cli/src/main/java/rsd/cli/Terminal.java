package rsd.cli;

/** What the process's output is connected to, and whether colour is wanted there. */
final class Terminal {
    private Terminal() {
    }

    /** True when stdout is an interactive terminal (never for pipes or files). */
    static boolean interactive() {
        java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    /** ANSI colour on stdout: only on a terminal, and never with --no-color or the NO_COLOR variable. */
    static boolean color(boolean noColorOption) {
        String env = System.getenv("NO_COLOR");
        return !noColorOption && (env == null || env.isEmpty()) && interactive();
    }
}
