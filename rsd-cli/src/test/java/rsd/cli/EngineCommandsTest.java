package rsd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import rsd.gguf.GgmlType;
import rsd.gguf.GgufFile;
import rsd.model.LlamaModel;
import rsd.model.RandomLlama;
import rsd.model.Session;
import rsd.model.TestModels;

class EngineCommandsTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static synchronized Run rsd(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void randomModelThenInspect() {
        Path f = dir.resolve("tiny.gguf");
        Run made = rsd("random-model", f.toString(), "--preset", "tiny", "--type", "Q8_0", "--seed", "3");
        assertThat(made.code()).as(made.err()).isZero();
        // not a terminal: a progress line per quarter, not one redraw per tensor
        assertThat(made.err()).doesNotContain("\r").contains("random-model: 100% of 123,200 parameters");
        assertThat(made.err().lines().count()).isLessThanOrEqualTo(5);
        Run r = rsd("inspect", "--model", f.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("general.architecture").contains("\"llama\"").contains("blk.1.ffn_down.weight")
                .contains("Q8_0").contains("parameters: 123,200");
        try (GgufFile g = GgufFile.open(f)) {
            assertThat(g.getList("tokenizer.ggml.tokens")).hasSize(384).element(32).isEqualTo("Ġ");
            assertThat(g.getString("tokenizer.ggml.pre")).isEqualTo("llama-bpe");
            assertThat(g.getLong("tokenizer.ggml.bos_token_id", -1)).isEqualTo(RandomLlama.BOS);
        }
    }

    @Test
    void quantizeKeepsTheModelCloseAndRefusesToOverwriteItsInput() {
        Path in = TestModels.writeRandomLlama(dir, RandomLlama.Spec.tiny(), Map.of());
        Path out = dir.resolve("q8.gguf");
        Run r = rsd("quantize", in.toString(), out.toString(), "--type", "Q8_0");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).doesNotContain("\r").contains("quantize: 100%");
        assertThat(r.err().lines().count()).isLessThanOrEqualTo(5);
        try (LlamaModel a = LlamaModel.load(in, 1, 0); LlamaModel b = LlamaModel.load(out, 1, 0);
                Session sa = a.newSession(16); Session sb = b.newSession(16)) {
            assertThat(b.gguf().tensor("blk.0.attn_q.weight").type()).isEqualTo(GgmlType.Q8_0);
            assertThat(b.gguf().tensor("blk.0.attn_norm.weight").type()).isEqualTo(GgmlType.F32);
            assertThat(b.gguf().metadata().get("tokenizer.ggml.tokens")).isEqualTo(a.gguf().metadata().get("tokenizer.ggml.tokens"));
            float[] la = sa.forward(new int[] {256, 1, 2, 3}, 0)[3];
            float[] lb = sb.forward(new int[] {256, 1, 2, 3}, 0)[3];
            double worst = 0, scale = 0;
            for (int i = 0; i < la.length; i++) {
                worst = Math.max(worst, Math.abs(la[i] - lb[i]));
                scale = Math.max(scale, Math.abs(la[i]));
            }
            assertThat(worst / scale).isLessThan(0.05).isGreaterThan(0); // quantized: close, not identical
        }
        long before = in.toFile().length();
        Run same = rsd("quantize", in.toString(), in.toString(), "--type", "Q4_0");
        assertThat(same.code()).isEqualTo(2);
        assertThat(same.err()).contains("would overwrite the input file");
        assertThat(in.toFile().length()).isEqualTo(before);
        Run bad = rsd("quantize", in.toString(), dir.resolve("x.gguf").toString(), "--type", "Q5_K");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--type Q5_K");
    }

    @Test
    void badFilesAreOneLineErrorsWithExitCode2() throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.gguf"), "hello, not a model");
        Run r = rsd("inspect", "--model", junk.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("rsd: " + junk).contains("wrong magic").doesNotContain("\n").doesNotContain("Exception");
    }

    @Test
    void benchEngineWritesTheJsonFields() throws Exception {
        Path f = TestModels.writeRandomLlama(dir, RandomLlama.Spec.tiny().withTypes(GgmlType.Q8_0, GgmlType.Q8_0), Map.of());
        Path jsonFile = dir.resolve("engine.json");
        Run r = rsd("bench-engine", "--model", f.toString(), "--threads", "2", "--repeats", "3", "--position", "20", "--bandwidth-mib", "64",
                "--json", jsonFile.toString());
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(Files.readString(jsonFile));
        // stdout: the same figures as a table for a person
        assertThat(r.out()).containsPattern("(?m)^\\s+T\\s+forward_ms\\s+cost\\(T\\)\\s+cpu_ms$")
                .containsPattern("(?m)^\\s+16\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+$")
                .contains(String.format(java.util.Locale.ROOT, "decode %.2f tokens/s", j.get("decode_tokens_per_second").asDouble()))
                .doesNotContain("{");
        for (String key : new String[] {"decode_tokens_per_second", "prefill_tokens_per_second", "weights_bytes", "memory_bandwidth_gbs"}) {
            assertThat(j.get(key).asDouble()).as(key).isPositive();
        }
        for (String t : new String[] {"1", "2", "4", "8", "16"}) {
            assertThat(j.get("forward_ms").get(t).asDouble()).as("forward_ms " + t).isPositive();
            assertThat(j.get("cost_ratio").get(t).asDouble()).as("cost_ratio " + t).isPositive();
        }
        assertThat(j.get("cost_ratio").get("1").asDouble()).isEqualTo(1.0);
        assertThat(r.err()).contains("T=16");
    }

    static final String BENCH_JSON = """
            {"model": {"name": "other"}, "dataset": {"name": "builtin", "problems": 2},
             "modes": [
              {"mode": "standard", "total_tokens": 100, "speedup_vs_standard": 1.0, "forward_sizes": {"1": 100}},
              {"mode": "lookup", "total_tokens": 100, "speedup_vs_standard": 1.2, "forward_sizes": {"1": 20, "2": 10, "4": 20}}
             ]}
            """;

    @Test
    void projectionsFollowTheCostCurve() throws Exception {
        JsonNode bench = new ObjectMapper().readTree(BENCH_JSON);
        var flat = BenchEngineCommand.projections(bench, rsd.draft.CostModel.of(new int[] {1, 16}, new double[] {1, 1}));
        // a flat curve: the projection is tokens per forward
        assertThat(flat.get(1).projectedSpeedup()).isEqualTo(100.0 / 50);
        assertThat(flat.get(1).tokensPerForward()).isEqualTo(2.0);
        assertThat(flat.get(0).projectedSpeedup()).isEqualTo(1.0);
        var linear = BenchEngineCommand.projections(bench, rsd.draft.CostModel.linear(16));
        // cost = every token verified: 20 + 2 * 10 + 4 * 20 = 120
        assertThat(linear.get(1).projectedSpeedup()).isEqualTo(100.0 / 120);
        assertThat(linear.get(1).measuredSpeedup()).isEqualTo(1.2);
    }

    @Test
    void benchEngineProjectsABenchRunOntoThisModel() throws Exception {
        Path f = TestModels.writeRandomLlama(dir, RandomLlama.Spec.tiny().withTypes(GgmlType.Q8_0, GgmlType.Q8_0), Map.of());
        Path bench = Files.writeString(dir.resolve("bench.json"), BENCH_JSON);
        Run r = rsd("bench-engine", "--model", f.toString(), "--threads", "1", "--repeats", "3", "--position", "20",
                "--bandwidth-mib", "16", "--project", bench.toString(), "--json", "-");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("Projected on this model's cost curve", "lookup", "standard");
        String[] lines = r.out().strip().split("\n");
        JsonNode j = new ObjectMapper().readTree(lines[lines.length - 1]);
        JsonNode ratio = j.get("cost_ratio");
        // the curve never falls: a tiny model's timing noise can measure T = 2 below T = 1
        double c2 = Math.max(1, ratio.get("2").asDouble());
        double c4 = Math.max(c2, ratio.get("4").asDouble());
        double expected = 100 / (20 + 10 * c2 + 20 * c4);
        JsonNode lookup = j.get("projection").get("modes").get(1);
        assertThat(lookup.get("mode").asText()).isEqualTo("lookup");
        assertThat(lookup.get("projected_speedup").asDouble()).isCloseTo(expected, org.assertj.core.data.Offset.offset(2e-3));
        assertThat(j.get("projection").get("modes").get(0).get("projected_speedup").asDouble()).isEqualTo(1.0);

        Run missing = rsd("bench-engine", "--model", f.toString(), "--project", dir.resolve("none.json").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err().strip()).contains("none.json").doesNotContain("Exception").hasLineCount(1);
        Path old = Files.writeString(dir.resolve("old.json"), "{\"modes\": [{\"mode\": \"standard\"}]}");
        Run older = rsd("bench-engine", "--model", f.toString(), "--project", old.toString());
        assertThat(older.code()).isEqualTo(2);
        assertThat(older.err()).contains("no \"forward_sizes\"");
    }
}
