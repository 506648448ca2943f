package rsd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rsd.LoadedModel;
import rsd.testing.TestTarget;

/** generate reports the decode rate apart from prefill, and load/mode setup apart from both. */
class GenerateSpeedTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void makeModel() {
        try (LoadedModel m = TestTarget.randomModel(dir, 3)) {
            model = m.path();
        }
    }

    @Test
    void jsonSplitsTheWallTimeIntoPrefillAndDecode() throws Exception {
        CliTest.Outcome o = CliTest.run(CliTest.generate(), "-m", model.toString(), "-p", "def add(a, b):\n    return a",
                "-n", "16", "-t", "1", "--mode", "rules", "--json");
        assertThat(o.code()).as(o.err()).isZero();
        JsonNode r = CliTest.JSON.readTree(o.lastLine());
        double elapsed = r.get("elapsed_time").asDouble();
        double decode = r.get("decode_seconds").asDouble();
        double prefill = r.get("prefill_seconds").asDouble();
        assertThat(decode).isPositive().isLessThanOrEqualTo(elapsed);
        assertThat(decode + prefill).isCloseTo(elapsed, within(1e-6));
        assertThat(r.get("decode_tokens_per_second").asDouble())
                .isCloseTo(r.get("total_tokens").asInt() / decode, within(1e-6))
                .isGreaterThanOrEqualTo(r.get("tokens_per_second").asDouble());
        assertThat(r.get("load_seconds").asDouble()).isPositive();
        assertThat(r.get("mode_setup_seconds").asDouble()).isNotNegative();
    }

    @Test
    void theStatsLineNamesDecodePrefillAndSetup() {
        CliTest.Outcome o = CliTest.run(CliTest.generate(), "-m", model.toString(), "-p", "x = 1\n", "-n", "8", "-t", "1",
                "--mode", "standard");
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(o.err()).containsPattern("8 tokens: decode [0-9.]+ tokens/s \\([0-9.]+ s\\), prompt 7 tokens prefilled in [0-9.]+ s, "
                + "overall [0-9.]+ tokens/s")
                .containsPattern("model load [0-9.]+ s, mode setup [0-9.]+ s");
    }

    @Test
    void recalibrateMeasuresTheCostCurveAgainAndSaysSo() {
        MainRun.Outcome first = MainRun.run("generate", "-m", model.toString(), "-p", "x", "-n", "2", "-t", "1", "--mode", "auto");
        assertThat(first.code()).as(first.err()).isZero();
        MainRun.Outcome again = MainRun.run("generate", "-m", model.toString(), "-p", "x", "-n", "2", "-t", "1", "--mode", "auto");
        assertThat(again.err()).doesNotContain("calibrating");
        MainRun.Outcome redo = MainRun.run("generate", "-m", model.toString(), "-p", "x", "-n", "2", "-t", "1", "--mode", "auto",
                "--recalibrate");
        assertThat(redo.code()).as(redo.err()).isZero();
        assertThat(redo.err()).contains("recalibrating the forward cost curve", "--recalibrate");
    }
}
