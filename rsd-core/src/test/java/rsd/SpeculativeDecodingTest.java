package rsd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rsd.error.RsdException;
import rsd.testing.TestTarget;

class SpeculativeDecodingTest {
    @TempDir
    Path dir;

    @Test
    void generatesTheSameTextWithAndWithoutSpeculationAndReportsMetrics() {
        try (LoadedModel big = TestTarget.randomModel(dir, 1); LoadedModel small = TestTarget.randomModel(dir, 2)) {
            for (String mode : new String[] {"indent", "draft"}) {
                try (SpeculativeDecoding sd = SpeculativeDecoding.builder().models(big, small).gamma(3)
                        .speculativeMode(mode).build()) {
                    SpeculativeDecoding.Result plain = sd.generateText("def f(x):\n    return", 30, 0.0, false);
                    StringBuilder streamed = new StringBuilder();
                    SpeculativeDecoding.Result fast = sd.generateText("def f(x):\n    return", 30, 0.0, true,
                            (id, text, guess) -> streamed.append(text));
                    assertThat(fast.tokenIds()).isEqualTo(plain.tokenIds());
                    assertThat(fast.text()).isEqualTo(plain.text()).isEqualTo(streamed.toString());
                    assertThat(plain.mode()).isEqualTo("standard");
                    assertThat(fast.mode()).isEqualTo(mode);
                    assertThat(plain.forwardPasses()).isEqualTo(plain.totalTokens());
                    assertThat(fast.totalTokens()).isEqualTo(fast.tokenIds().length);
                    assertThat(fast.tokensPerForward()).isEqualTo((double) fast.totalTokens() / fast.forwardPasses());
                    assertThat(fast.tokensPerSecond()).isPositive();
                    if (mode.equals("draft")) {
                        assertThat(fast.perRule()).containsKey("draft");
                        assertThat(fast.draftedTokens()).isPositive();
                    }
                }
            }
            // A confidence floor drafts less and changes nothing in the output.
            try (SpeculativeDecoding all = SpeculativeDecoding.builder().models(big, small).gamma(3).speculativeMode("draft").build();
                 SpeculativeDecoding floored = SpeculativeDecoding.builder().models(big, small).gamma(3).speculativeMode("draft")
                         .draftPMin(0.5).build()) {
                SpeculativeDecoding.Result a = all.generateText("def f(x):\n    return", 30, 0.0, true);
                SpeculativeDecoding.Result b = floored.generateText("def f(x):\n    return", 30, 0.0, true);
                assertThat(b.tokenIds()).isEqualTo(a.tokenIds());
                assertThat(b.draftedTokens()).isLessThan(a.draftedTokens());
            }
            // Models passed in stay open for the caller.
            assertThat(big.model().newSession(4)).isNotNull();
        }
    }

    @Test
    void clearErrors() {
        assertThatThrownBy(() -> new SpeculativeDecoding(null, dir.resolve("missing.gguf"), 4, true))
                .isInstanceOf(RsdException.class).hasMessageContaining("missing.gguf");
        assertThatThrownBy(() -> new SpeculativeDecoding(null, dir.resolve("missing.gguf"), 4, false))
                .isInstanceOf(RsdException.class).hasMessageContaining("small model");
        assertThatThrownBy(() -> SpeculativeDecoding.builder().draftPMin(1.5).build())
                .isInstanceOf(RsdException.class).hasMessageContaining("p-min");
    }
    @Test
    void namedSettingsGiveWhatThePositionalCallGives() {
        try (LoadedModel big = TestTarget.randomModel(dir, 1);
             SpeculativeDecoding sd = SpeculativeDecoding.builder().models(big, null).gamma(3).speculativeMode("indent").build()) {
            rsd.decode.GenerationSettings settings = rsd.decode.GenerationSettings.builder().maxTokens(20).temperature(0.7)
                    .topK(40).topP(0.9).seed(3).build();
            assertThat(settings).isEqualTo(new rsd.decode.GenerationSettings(20, 0.7f, 40, 0.9f, 3, java.util.List.of()));
            SpeculativeDecoding.Result named = sd.generate("def f(x):\n", rsd.decode.GenerationSettings.builder().maxTokens(20).build());
            SpeculativeDecoding.Result positional = sd.generateText("def f(x):\n", 20, 0.0, true);
            assertThat(named.tokenIds()).isEqualTo(positional.tokenIds());
            assertThat(named.mode()).isEqualTo("indent");
        }
        assertThatThrownBy(() -> rsd.decode.GenerationSettings.builder().topP(0).build())
                .isInstanceOf(RsdException.class).hasMessageContaining("topP");
        assertThatThrownBy(() -> rsd.decode.GenerationSettings.builder().maxTokens(-1).build())
                .isInstanceOf(RsdException.class).hasMessageContaining("maxTokens");
        assertThatThrownBy(() -> rsd.decode.GenerationSettings.builder().temperature(Double.NaN).build())
                .isInstanceOf(RsdException.class).hasMessageContaining("temperature");
    }
}
