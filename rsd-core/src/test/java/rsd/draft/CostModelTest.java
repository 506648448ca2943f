package rsd.draft;

import static org.assertj.core.api.Assertions.assertThat;


import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rsd.model.LlamaModel;
import rsd.model.TestModels;

class CostModelTest {
    @Test
    void calibratesOnARealModelOnceAndCachesTheCurve(@TempDir Path dir) throws Exception {
        try (LlamaModel model = TestModels.loadTiny(dir)) {
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
            Path cache = dir.resolve("cache");
            CostModel first = CostModel.cached(model, "tiny", cache, out);
            assertThat(first.cost(1)).isEqualTo(1.0);
            assertThat(first.maxTokens()).isEqualTo(16);
            for (int t = 2; t <= 16; t++) {
                assertThat(first.cost(t)).isGreaterThanOrEqualTo(first.cost(t - 1));
            }
            assertThat(Files.list(cache)).hasSize(1);
            CostModel second = CostModel.cached(model, "tiny", cache, out);
            assertThat(second.cost(16)).isCloseTo(first.cost(16), org.assertj.core.data.Offset.offset(1e-3));
            String text = log.toString(StandardCharsets.UTF_8);
            // announced once: the second call read the cache
            assertThat(text.split("calibrating", -1)).hasSize(2);
            assertThat(text).contains("cached in " + cache.resolve(Files.list(cache).findFirst().orElseThrow().getFileName()));

            Path file = Files.list(cache).findFirst().orElseThrow();
            Files.writeString(file, "not a curve");
            CostModel again = CostModel.cached(model, "tiny", cache, out, true);
            assertThat(again.cost(1)).isEqualTo(1.0);
            assertThat(log.toString(StandardCharsets.UTF_8)).contains("recalibrating");
            assertThat(Files.readString(file)).isNotEqualTo("not a curve"); // replaced by the new measurement
        }
    }

    @Test
    void fileKeyChangesWithContentAndThreads(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.gguf");
        Files.write(a, new byte[] {1, 2, 3});
        String k1 = CostModel.fileKey(a, 1);
        assertThat(CostModel.fileKey(a, 2)).isNotEqualTo(k1);
        Files.write(a, new byte[] {1, 2, 4});
        assertThat(CostModel.fileKey(a, 1)).isNotEqualTo(k1);
    }

    @Test
    void parsesCurvesAndRejectsBadOnesWithOneLine() {
        CostModel m = CostModel.parseCurve("1:1, 2:1.05, 8:1.5", "RSD_COST_CURVE");
        assertThat(m.cost(2)).isEqualTo(1.05);
        assertThat(m.maxTokens()).isEqualTo(8);
        for (String bad : new String[] {"2:1,1:1", "1:1,2:x", "1:1,2:-1", "", "1:1,1:2"}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> CostModel.parseCurve(bad, "RSD_COST_CURVE"))
                    .isInstanceOf(rsd.error.RsdException.class).hasMessageContaining("RSD_COST_CURVE");
        }
    }
}
