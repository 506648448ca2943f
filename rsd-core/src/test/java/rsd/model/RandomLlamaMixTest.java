package rsd.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import rsd.gguf.GgmlType;
import rsd.gguf.GgufFile;

class RandomLlamaMixTest {
    @TempDir
    Path dir;

    @Test
    void moreBitsLayersAreTheFirstAndLastEighthAndEveryThirdBetween() {
        List<Integer> picked = new ArrayList<>();
        for (int l = 0; l < 16; l++) {
            if (RandomLlama.Spec.moreBits(l, 16)) {
                picked.add(l);
            }
        }
        assertThat(picked).containsExactly(0, 1, 4, 7, 10, 13, 14, 15);
        picked.clear();
        for (int l = 0; l < 32; l++) {
            if (RandomLlama.Spec.moreBits(l, 32)) {
                picked.add(l);
            }
        }
        assertThat(picked).containsExactly(0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31);
    }

    @Test
    void mediumMixWritesQ6_KWhereLlamaCppDoes() {
        for (GgmlType base : new GgmlType[] {GgmlType.Q4_K, GgmlType.Q5_K}) {
            for (boolean tied : new boolean[] {true, false}) {
                RandomLlama.Spec spec = RandomLlama.Spec.tiny().withShape(256, 8, 4, 2, 512, 300).withTied(tied).withMediumMix(base);
                Path file = TestModels.writeRandomLlama(dir, spec, Map.of());
                try (GgufFile g = GgufFile.open(file)) {
                    assertThat(g.tensor("token_embd.weight").type()).isEqualTo(tied ? GgmlType.Q6_K : base);
                    if (!tied) {
                        assertThat(g.tensor("output.weight").type()).isEqualTo(GgmlType.Q6_K);
                    }
                    for (int l = 0; l < 8; l++) {
                        // 8 layers: 0 (first eighth), 3 (every third from layer 1), 6, 7 (last eighth)
                        GgmlType more = l == 0 || l == 3 || l == 6 || l == 7 ? GgmlType.Q6_K : base;
                        String p = "blk." + l + ".";
                        assertThat(g.tensor(p + "attn_v.weight").type()).as("%s layer %d attn_v", base, l).isEqualTo(more);
                        assertThat(g.tensor(p + "ffn_down.weight").type()).as("%s layer %d ffn_down", base, l).isEqualTo(more);
                        for (String n : new String[] {"attn_q", "attn_k", "attn_output", "ffn_gate", "ffn_up"}) {
                            assertThat(g.tensor(p + n + ".weight").type()).as("%s layer %d %s", base, l, n).isEqualTo(base);
                        }
                    }
                    assertThat(((Number) g.metadata().get("general.file_type")).intValue()).isEqualTo(base == GgmlType.Q4_K ? 15 : 17);
                }
                try (LlamaModel m = LlamaModel.load(file, 1, 0); Session s = m.newSession(16)) {
                    float[] logits = s.prefill(new int[] {256, 72, 105}, 0);
                    assertThat(logits).hasSize(300);
                    for (float v : logits) {
                        assertThat(v).isFinite();
                    }
                }
            }
        }
    }
}
