package rsd.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import rsd.decode.Sampler;
import rsd.error.RsdException;
import rsd.gguf.GgmlType;

class LlamaModelTest {
    @TempDir
    Path dir;

    static final int[] PROMPT = {256, 72, 101, 108, 108, 111, 32, 119, 111, 114, 108, 100};

    /**
     * Largest allowed |engine - reference| as a fraction of the largest |reference logit|. Both sides
     * decode the same stored codes, so the weights agree exactly; what differs is float32 arithmetic
     * (accumulation order, float RoPE tables, float softmax) against double. Types whose dequantized
     * weights are products of two floats (block scale x code) round once more per weight.
     */
    static double tolerance(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16 -> 1e-5;   // measured about 2e-7
            case Q8_0, Q4_0 -> 2e-5;
            case Q4_K, Q5_K, Q6_K -> 3e-5;
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    /** A model with GQA for each type; tied embeddings and rope_freqs vary so that every combination is covered. */
    static RandomLlama.Spec specFor(GgmlType type) {
        RandomLlama.Spec s = RandomLlama.Spec.tiny().withSeed(type.ordinal() + 10);
        boolean kQuant = type.blockSize == 256;
        if (kQuant) {
            s = s.withShape(256, 2, 4, 2, 512, 300);
        }
        GgmlType embedding = switch (type) {
            case Q4_K -> GgmlType.Q6_K; // as in real Q4_K_M files
            case Q4_0 -> GgmlType.Q8_0;
            default -> type;
        };
        s = s.withTypes(type, embedding)
                .withTied(type == GgmlType.Q8_0 || type == GgmlType.Q4_K || type == GgmlType.BF16)
                .withRopeFreqs(type == GgmlType.F16 || type == GgmlType.Q6_K || type == GgmlType.Q4_0 || type == GgmlType.Q8_0);
        // Q5_K as in Q5_K_M files: Q6_K output and Q6_K attn_v / ffn_down in the "more bits" layers
        return type == GgmlType.Q5_K ? s.withMediumMix(type) : s;
    }

    static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    static void assertClose(float[] actual, double[] expected, double relTol, String what) {
        double scale = maxAbs(expected);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        }
        assertThat(worst / scale).as("%s: max error %.3g of scale %.3g", what, worst, scale).isLessThanOrEqualTo(relTol);
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void logitsAgreeWithThePlainReference(GgmlType type) {
        RandomLlama.Spec spec = specFor(type);
        Path file = TestModels.writeRandomLlama(dir, spec, Map.of());
        double[][] expected = new ReferenceLlama(file).forward(PROMPT);
        try (LlamaModel m = LlamaModel.load(file, 2, 0); Session s = m.newSession(64)) {
            assertThat(m.config().kvHeads()).isLessThan(m.config().heads());
            float[][] logits = s.forward(PROMPT, 0);
            assertThat(logits).hasNumberOfRows(PROMPT.length);
            for (int i = 0; i < PROMPT.length; i++) {
                assertClose(logits[i], expected[i], tolerance(type), type + " position " + i);
            }
            assertThat(s.length()).isEqualTo(PROMPT.length);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void batchedForwardEqualsOneTokenAtATimeBitForBit(GgmlType type) {
        // the lossless contract: a token's logits do not depend on how many tokens share its forward
        Path file = TestModels.writeRandomLlama(dir, specFor(type), Map.of());
        try (LlamaModel m = LlamaModel.load(file, 2, 0); Session batch = m.newSession(64); Session single = m.newSession(64);
             Session split = m.newSession(64)) {
            float[][] all = batch.forward(PROMPT, 0);
            float[][] firstPart = split.forward(Arrays.copyOfRange(PROMPT, 0, 5), 0);
            float[][] secondPart = split.forward(Arrays.copyOfRange(PROMPT, 5, PROMPT.length), 5);
            for (int i = 0; i < PROMPT.length; i++) {
                float[][] one = single.forward(new int[] {PROMPT[i]}, i);
                assertThat(one[0]).as(type + " position " + i).isEqualTo(all[i]);
                assertThat(i < 5 ? firstPart[i] : secondPart[i - 5]).as(type + " split, position " + i).isEqualTo(all[i]);
            }
        }
    }

    @Test
    void longInputsAreChunkedThroughTheSameBatchedPath() {
        Path file = TestModels.writeRandomLlama(dir, specFor(GgmlType.F32), Map.of());
        int n = 2 * LlamaSession.MAX_BATCH + 7;
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = (i * 37 + 11) % 300;
        }
        double[][] expected = new ReferenceLlama(file).forward(tokens);
        try (LlamaModel m = LlamaModel.load(file, 2, 0); Session a = m.newSession(128); Session b = m.newSession(128)) {
            float[] last = a.prefill(tokens, 0);
            assertClose(last, expected[n - 1], tolerance(GgmlType.F32), "prefill");
            float[][] all = b.forward(tokens, 0);
            assertClose(all[3], expected[3], tolerance(GgmlType.F32), "first chunk");
            assertClose(all[n - 2], expected[n - 2], tolerance(GgmlType.F32), "last chunk");
        }
    }

    @Test
    void truncateThenContinueEqualsAFreshRun() {
        Path file = TestModels.writeRandomLlama(dir, specFor(GgmlType.Q8_0), Map.of());
        try (LlamaModel m = LlamaModel.load(file, 2, 0); Session s = m.newSession(64); Session fresh = m.newSession(64)) {
            s.forward(PROMPT, 0);                  // 12 positions, of which 4 are "rejected guesses"
            s.truncate(8);
            assertThat(s.length()).isEqualTo(8);
            int[] next = {65, 66, 67};
            float[][] continued = s.forward(next, 8);
            int[] seq = new int[11];
            System.arraycopy(PROMPT, 0, seq, 0, 8);
            System.arraycopy(next, 0, seq, 8, 3);
            float[][] expected = fresh.forward(seq, 0);
            for (int i = 0; i < 3; i++) {
                assertThat(continued[i]).as("position " + (8 + i)).isEqualTo(expected[8 + i]);
            }
            // forward at startPos < length drops the rest too
            float[][] again = s.forward(new int[] {65}, 8);
            assertThat(again[0]).as("re-forward").isEqualTo(expected[8]);
            assertThat(s.length()).isEqualTo(9);
        }
    }

    @ParameterizedTest
    // 21: long enough for the vectorized score path (16 positions at a time); 62: the tree and the kept
    // path straddle the boundary of the key cache's 64-position blocks
    @org.junit.jupiter.params.provider.ValueSource(ints = {21, 62})
    void treeForwardEqualsEachBranchRunSeparately(int prefixLength) {
        Path file = TestModels.writeRandomLlama(dir, specFor(GgmlType.Q8_0), Map.of());
        int[] prefix = new int[prefixLength];
        prefix[0] = 256;
        for (int i = 1; i < prefix.length; i++) {
            prefix[i] = 10 * i % 250;
        }
        //        a(0)
        //       /    \
        //    b(1)    c(2)        plus a second root f(5)
        //     |       |
        //    d(3)    e(4)
        int[] tokens = {40, 41, 42, 43, 44, 45};
        int[] parents = {-1, 0, 0, 1, 2, -1};
        int[][] branches = {{0, 1, 3}, {0, 2, 4}, {5}};
        try (LlamaModel m = LlamaModel.load(file, 2, 0); Session tree = m.newSession(128)) {
            tree.forward(prefix, 0);
            float[][] treeLogits = tree.forwardTree(tokens, parents, prefix.length);
            for (int[] branch : branches) {
                try (Session s = m.newSession(128)) {
                    s.forward(prefix, 0);
                    int[] seq = new int[branch.length];
                    for (int j = 0; j < branch.length; j++) {
                        seq[j] = tokens[branch[j]];
                    }
                    float[][] expected = s.forward(seq, prefix.length);
                    for (int j = 0; j < branch.length; j++) {
                        assertThat(treeLogits[branch[j]]).as("node " + branch[j]).isEqualTo(expected[j]);
                    }
                }
            }
            // keep a -> c -> e, then continue: must equal the plain sequence prefix + a c e + token
            tree.keepPath(prefix.length, new int[] {0, 2, 4});
            assertThat(tree.length()).isEqualTo(prefix.length + 3);
            float[] next = tree.forward(new int[] {99}, prefix.length + 3)[0];
            try (Session s = m.newSession(128)) {
                int[] seq = java.util.Arrays.copyOf(prefix, prefix.length + 4);
                seq[prefix.length] = 40;
                seq[prefix.length + 1] = 42;
                seq[prefix.length + 2] = 44;
                seq[prefix.length + 3] = 99;
                float[][] expected = s.forward(seq, 0);
                assertThat(next).as("after keepPath").isEqualTo(expected[seq.length - 1]);
            }
        }
    }

    @Test
    void tiedEmbeddingsAndRopeFreqsChangeTheOutput() {
        // guards against the loader silently ignoring rope_freqs.weight or tying when output.weight exists
        RandomLlama.Spec base = specFor(GgmlType.F32).withRopeFreqs(false).withTied(false);
        Path plain = TestModels.writeRandomLlama(dir, base, Map.of());
        Path withFreqs = TestModels.writeRandomLlama(dir, base.withRopeFreqs(true), Map.of());
        try (LlamaModel a = LlamaModel.load(plain, 1, 0); LlamaModel b = LlamaModel.load(withFreqs, 1, 0)) {
            assertThat(a.ropeFreqFactors).isNull();
            assertThat(b.ropeFreqFactors).isNotNull();
            assertThat(a.output).isNotSameAs(a.tokenEmbedding);
        }
        Path tied = TestModels.writeRandomLlama(dir, base.withTied(true), Map.of());
        try (LlamaModel m = LlamaModel.load(tied, 1, 0)) {
            assertThat(m.output).isSameAs(m.tokenEmbedding);
        }
    }

    @Test
    void contextIsCappedAndOverflowIsAClearError() {
        Path file = TestModels.writeRandomLlama(dir, RandomLlama.Spec.tiny(), Map.of());
        try (LlamaModel m = LlamaModel.load(file, 1, 16)) {
            assertThat(m.contextLength()).isEqualTo(16);
            assertThatThrownBy(() -> m.newSession(17)).isInstanceOf(RsdException.class);
            Session s = m.newSession(16);
            assertThatThrownBy(() -> s.forward(new int[17], 0)).isInstanceOf(RsdException.class)
                    .hasMessageContaining("17 positions do not fit in the context of 16");
            assertThatThrownBy(() -> s.forward(new int[] {5000}, 0)).isInstanceOf(RsdException.class)
                    .hasMessageContaining("outside the vocabulary");
        }
        try (LlamaModel m = LlamaModel.load(file, 1, 0)) {
            assertThat(m.contextLength()).isEqualTo(2048);
            assertThat(m.vocabSize()).isEqualTo(384);
            assertThat(m.gguf().getList("tokenizer.ggml.tokens")).hasSize(384);
        }
    }

    @Test
    void badModelFilesAreClearErrors() {
        Path other = TestModels.writeRandomLlama(dir, RandomLlama.Spec.tiny(), Map.of("general.architecture", "mamba"));
        assertThatThrownBy(() -> LlamaModel.load(other, 1, 0)).isInstanceOf(RsdException.class)
                .hasMessageContaining(other.toString()).hasMessageContaining("unsupported architecture 'mamba'");
        Path badShape = TestModels.writeRandomLlama(dir, RandomLlama.Spec.tiny(), Map.of("llama.feed_forward_length", 256));
        assertThatThrownBy(() -> LlamaModel.load(badShape, 1, 0)).isInstanceOf(RsdException.class)
                .hasMessageContaining("tensor 'blk.0.ffn_gate.weight' has shape [64, 128], expected [64, 256]");
        Path missing = TestModels.writeRandomLlama(dir, RandomLlama.Spec.tiny(), Map.of("llama.block_count", 3));
        assertThatThrownBy(() -> LlamaModel.load(missing, 1, 0)).isInstanceOf(RsdException.class)
                .hasMessageContaining("missing tensor 'blk.2.attn_norm.weight'");
        Path vocab = TestModels.writeRandomLlama(dir, RandomLlama.Spec.tiny(),
                Map.of("tokenizer.ggml.tokens", java.util.Collections.nCopies(400, "x")));
        assertThatThrownBy(() -> LlamaModel.load(vocab, 1, 0)).isInstanceOf(RsdException.class)
                .hasMessageContaining("vocabulary mismatch");
    }

    @Test
    void greedyTokensAgreeWithTheReferenceOnQuantizedModels() {
        Path file = TestModels.writeRandomLlama(dir, specFor(GgmlType.Q4_0), Map.of());
        double[][] expected = new ReferenceLlama(file).forward(PROMPT);
        try (LlamaModel m = LlamaModel.load(file, 1, 0); Session s = m.newSession(32)) {
            float[][] logits = s.forward(PROMPT, 0);
            for (int i = 0; i < PROMPT.length; i++) {
                int ref = 0;
                for (int v = 1; v < expected[i].length; v++) {
                    if (expected[i][v] > expected[i][ref]) {
                        ref = v;
                    }
                }
                assertThat(Sampler.argmax(logits[i])).as("position %d", i).isEqualTo(ref);
            }
        }
    }
}
