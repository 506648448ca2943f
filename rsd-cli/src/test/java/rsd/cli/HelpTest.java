package rsd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;

/** Every command's {@code --help} prints its usage on stdout, with nothing on stderr (picocli warns there). */
class HelpTest {
    static List<String> commandNames() {
        List<String> names = new ArrayList<>(new CommandLine(new Main()).getSubcommands().keySet());
        names.remove("help");
        return names;
    }

    @Test
    void everyCommandIsListed() {
        assertThat(commandNames()).contains("generate", "bench", "bench-engine", "replay", "mine-patterns", "index",
                "tokenize", "inspect", "serve", "analyze", "perplexity", "quantize", "random-model");
    }

    @TestFactory
    List<DynamicTest> helpHasNoWarnings() {
        List<DynamicTest> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("rsd --help", () -> check(MainRun.run("--help"), "rsd")));
        for (String name : commandNames()) {
            tests.add(DynamicTest.dynamicTest("rsd " + name + " --help", () -> check(MainRun.run(name, "--help"), name)));
        }
        return tests;
    }

    private static void check(MainRun.Outcome o, String name) {
        assertThat(o.code()).isZero();
        assertThat(o.err()).doesNotContain("picocli").isEmpty();
        assertThat(o.out()).startsWith("Usage: ").contains(name);
    }

    @Test
    void heldOutRuleIsPrintedWithItsPercentSign() {
        assertThat(MainRun.run("replay", "--help").out()).contains("crc32(relative path) % 20 == 0");
        assertThat(MainRun.run("mine-patterns", "--help").out()).contains("crc32 % 20 == 0");
        assertThat(MainRun.run("index", "--help").out()).contains("% 20 == 0");
    }
}
