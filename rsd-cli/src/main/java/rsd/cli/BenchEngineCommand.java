package rsd.cli;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;
import rsd.decode.Sampler;
import rsd.draft.CostModel;
import rsd.error.RsdException;
import rsd.model.LlamaModel;
import rsd.model.LlamaSession;
import rsd.tensor.Kernels;
import rsd.tensor.ThreadPool;

/**
 * {@code rsd bench-engine --model F}: the engine figures that decide speculative decoding's gain: the
 * time of one forward over T = 1, 2, 4, 8, 16 tokens at a realistic position (median of --repeats), its
 * ratio to T = 1, decode and prefill speed, and the machine's streaming read bandwidth for comparison.
 * With {@code --project BENCH.json}, also the speed-up each benchmarked mode would have on this model:
 * the bench records how many forwards of each width every mode ran, this command knows their cost.
 */
@Command(name = "bench-engine", mixinStandardHelpOptions = true,
        description = "Measure forward time over T = 1..16 tokens, cost ratios, decode/prefill speed and memory bandwidth.")
public final class BenchEngineCommand implements Callable<Integer> {
    static final int[] BATCHES = {1, 2, 4, 8, 16};
    static final long WARMUP_NANOS = 3_000_000_000L;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", description = "GGUF model (default: ${DEFAULT-VALUE})")
    Path model = rsd.LoadedModel.DEFAULT_MODEL;

    @Option(names = {"-t", "--threads"}, defaultValue = "0", description = "worker threads (default: all cores)")
    int threads;

    @Option(names = "--repeats", defaultValue = "10", description = "timed forwards per batch size (default ${DEFAULT-VALUE})")
    int repeats;

    @Option(names = "--position", defaultValue = "256", description = "tokens already in the KV cache when timing (default ${DEFAULT-VALUE})")
    int position;

    @Option(names = "--bandwidth-mib", defaultValue = "512", paramLabel = "MIB",
            description = "buffer for the bandwidth read; keep it well above the last-level cache (default ${DEFAULT-VALUE})")
    int bandwidthMib;

    @Option(names = "--json", paramLabel = "PATH|-",
            description = "write the results as JSON to PATH, or as the last stdout line with - (default: a table on stdout)")
    String json;

    @Option(names = "--project", paramLabel = "BENCH.json",
            description = "a JSON written by 'rsd bench --json' (on any model): project each mode's speed-up on THIS model from its measured cost curve")
    Path project;

    @Override
    public Integer call() throws IOException {
        if (repeats < 1 || position < 1) {
            throw new RsdException("--repeats and --position must be at least 1");
        }
        Models.requireModelFile(model, "model", "--model");
        if (json != null && !json.equals("-")) {
            OutputPath.check("--json", Path.of(json), model, project);
        }
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        JsonNode benchDoc = project == null ? null : readBench(project);
        Map<String, Object> result = new LinkedHashMap<>();
        double[] loadBefore = loadAverage();
        int nThreads = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        err.printf("bench-engine: measuring memory bandwidth with %d threads...%n", nThreads);
        err.flush();
        double bandwidth = measureBandwidth(nThreads, bandwidthMib);
        try (LlamaModel m = LlamaModel.load(model, nThreads, 0)) {
            int decodeTokens = Math.max(8, repeats);
            int capacity = position + 16 + decodeTokens;
            if (capacity > m.contextLength()) {
                throw new RsdException("--position " + position + " leaves no room in the model's context of " + m.contextLength());
            }
            SplittableRandom rnd = new SplittableRandom(7);
            int[] prompt = rnd.ints(position, 0, m.vocabSize()).toArray();
            int[] guesses = rnd.ints(16, 0, m.vocabSize()).toArray();
            try (LlamaSession s = m.newSession(capacity)) {
                err.printf("bench-engine: %s, %d threads, warming up...%n", m.name(), m.threads());
                err.flush();
                s.prefill(Arrays.copyOf(prompt, Math.min(prompt.length, 2 * LlamaSession.MAX_BATCH)), 0);
                // Warm up until the JIT has compiled the kernels (C2 needs thousands of calls of each): one
                // round per batch size is enough for a 1B model (100 ms forwards), but a small model's first
                // forwards run interpreted/C1 code several times slower than steady state, so keep going for
                // WARMUP_NANOS. Speculative decoding runs thousands of forwards; the steady state is what counts.
                long warmStart = System.nanoTime();
                do {
                    for (int T : BATCHES) {
                        s.forward(Arrays.copyOf(guesses, T), Math.min(position, s.length()));
                    }
                } while (System.nanoTime() - warmStart < WARMUP_NANOS);
                long t0 = System.nanoTime();
                s.prefill(prompt, 0);
                double prefillSeconds = (System.nanoTime() - t0) / 1e9;
                err.printf("bench-engine: prefill %d tokens in %.2f s%n", position, prefillSeconds);
                err.flush();

                Map<String, Double> forwardMs = new LinkedHashMap<>();
                Map<String, Double> costRatio = new LinkedHashMap<>();
                Map<String, Double> forwardCpuMs = new LinkedHashMap<>();
                for (int T : BATCHES) {
                    int[] batch = Arrays.copyOf(guesses, T);
                    double[] ms = new double[repeats];
                    long cpu0 = processCpuNanos();
                    for (int r = 0; r < repeats; r++) {
                        long a = System.nanoTime();
                        s.forward(batch, position);
                        ms[r] = (System.nanoTime() - a) / 1e6;
                    }
                    forwardCpuMs.put(Integer.toString(T), round((processCpuNanos() - cpu0) / 1e6 / repeats, 3));
                    Arrays.sort(ms);
                    double median = repeats % 2 == 1 ? ms[repeats / 2] : (ms[repeats / 2 - 1] + ms[repeats / 2]) / 2;
                    forwardMs.put(Integer.toString(T), round(median, 3));
                    err.printf("bench-engine: T=%-2d forward %.2f ms (median of %d)%n", T, median, repeats);
                    err.flush();
                }
                for (int T : BATCHES) {
                    costRatio.put(Integer.toString(T), round(forwardMs.get(Integer.toString(T)) / forwardMs.get("1"), 3));
                }

                // plain decoding: one token per forward, feeding back the argmax
                s.truncate(position);
                int token = guesses[0];
                long d0 = System.nanoTime();
                for (int i = 0; i < decodeTokens; i++) {
                    float[] logits = s.forward(new int[] {token}, position + i)[0];
                    token = Sampler.argmax(logits);
                }
                double decodeSeconds = (System.nanoTime() - d0) / 1e9;

                result.put("model", model.toString());
                result.put("parameters", m.config().toString());
                result.put("threads", m.threads());
                result.put("position", position);
                result.put("repeats", repeats);
                result.put("weights_bytes", m.weightsBytes());
                result.put("memory_bandwidth_gbs", round(bandwidth, 2));
                result.put("bandwidth_bound_ms", round(m.weightsBytes() / bandwidth / 1e6, 2));
                result.put("forward_ms", forwardMs);
                result.put("cost_ratio", costRatio);
                result.put("forward_cpu_ms", forwardCpuMs);
                result.put("decode_tokens_per_second", round(decodeTokens / decodeSeconds, 2));
                result.put("prefill_tokens_per_second", round(position / prefillSeconds, 2));
                result.put("vector_bits", Kernels.vectorBits());
                result.put("cpus", Runtime.getRuntime().availableProcessors());
                result.put("load_average_before", loadBefore);
                result.put("load_average_after", loadAverage());
                result.put("java", System.getProperty("java.version"));
                if (benchDoc != null) {
                    double[] ratios = new double[BATCHES.length];
                    for (int i = 0; i < BATCHES.length; i++) {
                        ratios[i] = costRatio.get(Integer.toString(BATCHES[i]));
                    }
                    List<Projection> rows = projections(benchDoc, CostModel.of(BATCHES, ratios));
                    out.print(projectionTable(rows, benchDoc, project));
                    List<Map<String, Object>> list = new ArrayList<>();
                    for (Projection p : rows) {
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("mode", p.mode());
                        row.put("tokens_per_forward", round(p.tokensPerForward(), 3));
                        row.put("measured_speedup", round(p.measuredSpeedup(), 3));
                        row.put("projected_speedup", round(p.projectedSpeedup(), 3));
                        list.add(row);
                    }
                    Map<String, Object> proj = new LinkedHashMap<>();
                    proj.put("bench", project.toString());
                    proj.put("bench_model", benchDoc.path("model").path("name").asText(""));
                    proj.put("modes", list);
                    result.put("projection", proj);
                }
            }
        }
        String text = new ObjectMapper().writeValueAsString(result);
        if (json != null && json.equals("-")) {
            out.println(text);
        } else {
            out.print(table(result));
            if (json != null) {
                Files.writeString(Path.of(json), text + "\n");
                err.printf("bench-engine: wrote %s%n", json);
            }
        }
        out.flush();
        return 0;
    }

    /** The results for a person: one row per forward size, then the decode, prefill and memory figures. */
    @SuppressWarnings("unchecked")
    static String table(Map<String, Object> r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s: %s%n%s threads, %s tokens already cached, median of %s forwards%n%n",
                r.get("model"), r.get("parameters"), r.get("threads"), r.get("position"), r.get("repeats")));
        sb.append(String.format(Locale.ROOT, "%4s %12s %10s %12s%n", "T", "forward_ms", "cost(T)", "cpu_ms"));
        Map<String, Double> ms = (Map<String, Double>) r.get("forward_ms");
        Map<String, Double> cost = (Map<String, Double>) r.get("cost_ratio");
        Map<String, Double> cpu = (Map<String, Double>) r.get("forward_cpu_ms");
        for (String t : ms.keySet()) {
            sb.append(String.format(Locale.ROOT, "%4s %12.3f %10.3f %12.3f%n", t, ms.get(t), cost.get(t), cpu.get(t)));
        }
        sb.append(String.format(Locale.ROOT, "%ndecode %.2f tokens/s, prefill %.2f tokens/s%n",
                (double) r.get("decode_tokens_per_second"), (double) r.get("prefill_tokens_per_second")));
        sb.append(String.format(Locale.ROOT, "weights %,d bytes, memory bandwidth %.2f GB/s (a forward bound by it: %.2f ms)%n",
                (long) r.get("weights_bytes"), (double) r.get("memory_bandwidth_gbs"), (double) r.get("bandwidth_bound_ms")));
        sb.append(String.format(Locale.ROOT, "%s-bit vectors, %s cpus, load average before %s, after %s, java %s%n",
                r.get("vector_bits"), r.get("cpus"), Arrays.toString((double[]) r.get("load_average_before")),
                Arrays.toString((double[]) r.get("load_average_after")), r.get("java")));
        return sb.toString();
    }

    /** One mode of a bench run, projected onto a cost curve. */
    record Projection(String mode, long tokens, double tokensPerForward, double measuredSpeedup, double projectedSpeedup) {
    }

    static JsonNode readBench(Path file) {
        JsonNode doc;
        try {
            doc = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new RsdException("--project " + file + ": cannot read it as JSON ("
                    + (e instanceof java.io.FileNotFoundException || e instanceof NoSuchFileException ? "no such file" : e.getMessage().lines().findFirst().orElse("")) + ")");
        }
        if (doc == null || !doc.path("modes").isArray() || doc.path("modes").isEmpty()) {
            throw new RsdException("--project " + file + ": not a JSON written by 'rsd bench --json' (no \"modes\")");
        }
        for (JsonNode m : doc.path("modes")) {
            if (!m.path("forward_sizes").isObject()) {
                throw new RsdException("--project " + file + ": mode " + m.path("mode").asText("?")
                        + " has no \"forward_sizes\" (written by an older rsd bench: run the bench again)");
            }
        }
        return doc;
    }

    /**
     * Each mode's tokens per unit of forward cost on {@code curve}, relative to plain decoding (one token
     * per forward of cost 1): the tokens of the mode over the sum of cost(T) over its verification
     * forwards. Prefill, drafting time and a draft model's own forwards are not counted.
     */
    static List<Projection> projections(JsonNode bench, CostModel curve) {
        List<Projection> rows = new ArrayList<>();
        for (JsonNode m : bench.path("modes")) {
            long tokens = m.path("total_tokens").asLong();
            double cost = 0;
            long forwards = 0;
            var it = m.path("forward_sizes").fields();
            while (it.hasNext()) {
                var e = it.next();
                long n = e.getValue().asLong();
                cost += n * curve.cost(Integer.parseInt(e.getKey()));
                forwards += n;
            }
            rows.add(new Projection(m.path("mode").asText(), tokens, forwards == 0 ? 0 : (double) tokens / forwards,
                    m.path("speedup_vs_standard").asDouble(), cost == 0 ? 0 : tokens / cost));
        }
        return rows;
    }

    static String projectionTable(List<Projection> rows, JsonNode bench, Path file) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Projected on this model's cost curve from %s (%s, %s):%n", file,
                bench.path("model").path("name").asText("?"), bench.path("dataset").path("name").asText("?")));
        sb.append(String.format(Locale.ROOT, "%-10s %9s %9s %10s %10s%n", "mode", "tokens", "tok/fwd", "measured", "projected"));
        for (Projection p : rows) {
            sb.append(String.format(Locale.ROOT, "%-10s %9d %9.3f %9.3fx %9.3fx%s%n", p.mode(), p.tokens(), p.tokensPerForward(),
                    p.measuredSpeedup(), p.projectedSpeedup(), p.mode().equals("draft") ? "  (target forwards only)" : ""));
        }
        sb.append("measured: on the bench's own model and machine, prefill included; projected: verification forwards only "
                + "(no prefill, no drafting time, no draft-model forwards).\n");
        return sb.toString();
    }

    /** CPU time of this process (all threads), so that figures on a shared machine can be read against it. */
    static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    /** 1, 5 and 15 minute load averages (Linux), or an empty array elsewhere. */
    static double[] loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
        } catch (IOException | RuntimeException e) {
            return new double[0];
        }
    }

    /**
     * Best of several streaming reads of a buffer (512 MiB by default: far larger than any last-level cache), all
     * threads reading disjoint slices, in GB/s (10^9 bytes).
     */
    static double measureBandwidth(int threads, int mib) {
        if (mib < 1 || mib > 8192) {
            throw new RsdException("--bandwidth-mib " + mib + ": choose 1..8192");
        }
        float[] buffer = new float[mib << 18];
        Arrays.fill(buffer, 1f); // touch every page before timing
        int chunks = threads * 64;
        int per = buffer.length / chunks;
        double[] sink = new double[threads];
        double best = 0;
        try (ThreadPool pool = new ThreadPool(threads)) {
            for (int rep = 0; rep < 6; rep++) {
                long t0 = System.nanoTime();
                pool.run(chunks, 1, (from, to, worker) -> {
                    for (int c = from; c < to; c++) {
                        sink[worker] += Kernels.sum(buffer, c * per, per);
                    }
                });
                double seconds = (System.nanoTime() - t0) / 1e9;
                best = Math.max(best, (double) chunks * per * 4 / seconds / 1e9);
            }
        }
        if (Arrays.stream(sink).sum() == 0) {
            throw new AssertionError("bandwidth read was optimized away");
        }
        return best;
    }
}
