package rsd.draft;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.CRC32;
import rsd.model.LanguageModel;
import rsd.model.Session;

/**
 * The measured price of verifying guesses: {@code cost(T) = time(forward over T tokens) / time(forward
 * over 1 token)} on this model and machine. Speculation pays only while the expected accepted tokens grow
 * faster than this ratio, so the auto speculator plans with it. Measured once per model file, machine
 * and thread count by a short calibration and cached on disk.
 */
public final class CostModel {
    /** The token counts the calibration measures (cost is interpolated in between). */
    static final int[] CALIBRATED = {1, 2, 3, 4, 6, 8, 12, 16};
    private static final int CONTEXT = 64;
    private static final int MIN_ROUNDS = 4;
    private static final int MAX_ROUNDS = 15;
    private static final long BUDGET_NANOS = 4_000_000_000L;
    /** Untimed warm-up before measuring: rounds over every T until this much time or WARMUP_ROUNDS rounds. */
    private static final long WARMUP_NANOS = 1_500_000_000L;
    private static final int WARMUP_ROUNDS = 100;
    /** Bumped when the calibration changes, so curves cached by an older one are measured again. */
    static final String CACHE_VERSION = "v2";

    private final double[] ratio; // ratio[t] for t = 0..max (ratio[0] unused, ratio[1] = 1)
    private final double forwardMillis; // measured time of a one-token forward, NaN when unknown

    private CostModel(double[] ratio, double forwardMillis) {
        this.ratio = ratio;
        this.forwardMillis = forwardMillis;
    }

    /** Time of a one-token forward in milliseconds when measured on this machine, else NaN. */
    public double forwardMillis() {
        return forwardMillis;
    }

    /** The same curve with a known one-token forward time. */
    public CostModel withForwardMillis(double millis) {
        return new CostModel(ratio, millis);
    }

    /**
     * A cost model from measured ratios: {@code costs[i]} is the cost of a forward over {@code tokens[i]}
     * tokens relative to one token ({@code tokens} ascending, starting at 1).
     */
    public static CostModel of(int[] tokens, double[] costs) {
        if (tokens.length != costs.length || tokens.length == 0 || tokens[0] != 1) {
            throw new IllegalArgumentException("cost curve needs matching arrays starting at T = 1");
        }
        int max = tokens[tokens.length - 1];
        double[] r = new double[max + 1];
        for (int t = 1; t <= max; t++) {
            int j = 0;
            while (j + 1 < tokens.length && tokens[j + 1] < t) {
                j++;
            }
            if (tokens[j] == t || j + 1 >= tokens.length) {
                r[t] = costs[j];
            } else {
                double f = (double) (t - tokens[j]) / (tokens[j + 1] - tokens[j]);
                r[t] = costs[j] + f * (costs[j + 1] - costs[j]);
            }
        }
        r[1] = 1.0;
        for (int t = 2; t <= max; t++) {
            r[t] = Math.max(r[t], r[t - 1]); // more tokens never cost less
        }
        return new CostModel(r, Double.NaN);
    }

    /** Every forward costs as many single steps as it has tokens: speculation can never pay. */
    public static CostModel linear(int max) {
        int[] t = new int[max];
        double[] c = new double[max];
        for (int i = 0; i < max; i++) {
            t[i] = i + 1;
            c[i] = i + 1;
        }
        return of(t, c);
    }

    /** Largest T measured. */
    public int maxTokens() {
        return ratio.length - 1;
    }

    /** Relative cost of a forward over {@code tokens} tokens (linear beyond the measured range). */
    public double cost(int tokens) {
        if (tokens <= 1) {
            return 1.0;
        }
        int max = maxTokens();
        if (tokens <= max) {
            return ratio[tokens];
        }
        double slope = max > 1 ? ratio[max] - ratio[max - 1] : 1.0;
        return ratio[max] + slope * (tokens - max);
    }

    /** "T=1:1.00 T=2:1.03 ..." at the calibrated points. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (int t : CALIBRATED) {
            if (t <= maxTokens()) {
                sb.append(sb.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "T=%d:%.2f", t, cost(t)));
            }
        }
        return sb.toString();
    }

    /**
     * Times forwards over T = 1..16 tokens after a short context: the fastest of 4 to 15 interleaved runs
     * each, within about 4 seconds (longer only when a round itself takes longer).
     */
    public static CostModel measure(LanguageModel model) {
        synchronized (MEASURED) {
            CostModel known = MEASURED.get(model);
            if (known != null) {
                return known;
            }
        }
        CostModel m = measureNow(model);
        synchronized (MEASURED) {
            MEASURED.put(model, m);
        }
        return m;
    }

    /** Models measured in this process (several modes in one bench share one calibration). */
    private static final java.util.Map<LanguageModel, CostModel> MEASURED = new java.util.WeakHashMap<>();

    /** A fresh calibration, ignoring what this process measured before. */
    static CostModel measureUncached(LanguageModel model) {
        return measureNow(model);
    }

    private static CostModel measureNow(LanguageModel model) {
        int capacity = Math.min(model.contextLength(), CONTEXT + 32);
        int contextLength = Math.min(CONTEXT, capacity / 2);
        int maxT = Math.min(16, capacity - contextLength);
        if (maxT < 2) {
            return linear(2); // no room to measure: assume guesses cost full steps
        }
        int[] points = Arrays.stream(CALIBRATED).filter(t -> t <= maxT).toArray();
        try (Session session = model.newSession(capacity)) {
            int[] context = new int[contextLength];
            for (int i = 0; i < contextLength; i++) {
                context[i] = (i * 7919 + 13) % Math.min(model.vocabSize(), 30_000);
            }
            session.prefill(context, 0);
            // Warm up first: in a fresh JVM the kernels run interpreted or C1-compiled for the first
            // few hundred forwards, and a T = 1 forward then looks slow next to wider ones (curves cached
            // that way measured T = 2 at 1.00-1.16 where the steady state is 1.3-1.6).
            long warmStart = System.nanoTime();
            for (int round = 0; round < WARMUP_ROUNDS && System.nanoTime() - warmStart < WARMUP_NANOS; round++) {
                for (int t : points) {
                    session.forward(Arrays.copyOf(context, t), contextLength);
                }
            }
            // Round-robin over T and keep each T's fastest time: other processes on a busy machine slow
            // single runs down at random, and interleaving spreads a slow phase over every T alike.
            double[] millis = new double[points.length];
            Arrays.fill(millis, Double.MAX_VALUE);
            long started = System.nanoTime();
            for (int round = 0; round < MAX_ROUNDS; round++) {
                for (int i = 0; i < points.length; i++) {
                    long t0 = System.nanoTime();
                    session.forward(Arrays.copyOf(context, points[i]), contextLength);
                    double ms = (System.nanoTime() - t0) / 1e6;
                    if (round > 0) { // round 0 warms the code paths up
                        millis[i] = Math.min(millis[i], ms);
                    }
                }
                if (round >= MIN_ROUNDS && System.nanoTime() - started > BUDGET_NANOS) {
                    break;
                }
            }
            double[] costs = new double[points.length];
            for (int i = 0; i < points.length; i++) {
                costs[i] = millis[i] / millis[0];
            }
            return of(points, costs).withForwardMillis(millis[0]);
        }
    }

    /**
     * The cached cost model for this key (model file + machine + threads), measured and cached when
     * missing or unreadable. Announces a calibration once on {@code log}.
     */
    public static CostModel cached(LanguageModel model, String key, Path cacheDir, PrintStream log) {
        return cached(model, key, cacheDir, log, false);
    }

    /** As {@link #cached(LanguageModel, String, Path, PrintStream)}; {@code recalibrate} measures anew and replaces the cached curve. */
    public static CostModel cached(LanguageModel model, String key, Path cacheDir, PrintStream log, boolean recalibrate) {
        Path file = cacheFile(key, cacheDir);
        try {
            if (!recalibrate && Files.isRegularFile(file)) {
                return parse(Files.readString(file));
            }
        } catch (IOException | RuntimeException e) {
            // an unreadable cache is measured again
        }
        if (log != null) {
            log.println(recalibrate
                    ? "rsd: recalibrating the forward cost curve of " + model.name() + " (--recalibrate; replaces " + file + ")"
                    : "rsd: calibrating the forward cost curve of " + model.name() + ": first run of this model file with "
                        + "this thread count here, a few seconds, not counted in the speed (cached in " + file
                        + "; --recalibrate measures it again)");
        }
        CostModel measured = measure(model);
        try {
            Files.createDirectories(cacheDir);
            Files.writeString(file, measured.serialize());
        } catch (IOException e) {
            if (log != null) {
                log.println("rsd: cannot cache the cost curve in " + file + ": " + e.getMessage());
            }
        }
        if (log != null) {
            log.println("rsd: forward cost " + measured.describe());
        }
        return measured;
    }

    /**
     * The cost model of a model loaded from {@code file} with {@code threads} (0 = all cores) on this
     * machine: {@code RSD_COST_CURVE} ("1:1,2:1.03,4:1.08,...") when set (to project another machine), else
     * the cached calibration keyed by file and threads. Announces a calibration on {@code log} (null: silent).
     */
    public static CostModel forFile(LanguageModel model, Path file, int threads, PrintStream log) {
        return forFile(model, file, threads, log, false);
    }

    /** As {@link #forFile(LanguageModel, Path, int, PrintStream)}; {@code recalibrate} ignores and replaces the cached curve. */
    public static CostModel forFile(LanguageModel model, Path file, int threads, PrintStream log, boolean recalibrate) {
        CostModel fromEnvironment = fromEnvironment();
        if (fromEnvironment != null) {
            return fromEnvironment;
        }
        try {
            int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
            return cached(model, fileKey(file, n), defaultCacheDir(), log, recalibrate);
        } catch (IOException e) {
            // the file vanished or cannot be read again: measure without caching
            return measure(model);
        }
    }

    /** The cost model of a model without a file (a test fake): {@code RSD_COST_CURVE}, else measured now. */
    public static CostModel forModel(LanguageModel model) {
        CostModel fromEnvironment = fromEnvironment();
        return fromEnvironment != null ? fromEnvironment : measure(model);
    }

    private static CostModel fromEnvironment() {
        String curve = System.getenv("RSD_COST_CURVE");
        return curve == null || curve.isBlank() ? null : parseCurve(curve, "RSD_COST_CURVE");
    }

    /** Parses "T:cost,T:cost,..." (T ascending from 1); {@code source} names it in error messages. */
    public static CostModel parseCurve(String spec, String source) {
        try {
            String[] parts = spec.trim().split(",");
            int[] t = new int[parts.length];
            double[] c = new double[parts.length];
            for (int i = 0; i < parts.length; i++) {
                String[] kv = parts[i].trim().split(":");
                t[i] = Integer.parseInt(kv[0].trim());
                c[i] = Double.parseDouble(kv[1].trim());
                if ((i > 0 && t[i] <= t[i - 1]) || c[i] <= 0) {
                    throw new IllegalArgumentException();
                }
            }
            return of(t, c);
        } catch (RuntimeException e) {
            throw new rsd.error.RsdException(source + " '" + spec + "' is not a cost curve like 1:1,2:1.03,4:1.08 "
                    + "(token counts ascending from 1, positive costs)");
        }
    }

    private static Path cacheFile(String key, Path cacheDir) {
        return cacheDir.resolve("cost-" + CACHE_VERSION + "-" + key + ".txt");
    }

    /** The default cache directory, ~/.cache/rsd (or $XDG_CACHE_HOME/rsd). */
    public static Path defaultCacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("rsd");
    }

    /**
     * A cache key for a model file on this machine: size, a checksum of its first and last MiB (cheap even
     * for 8 GB files), available processors and the thread count the engine uses.
     */
    public static String fileKey(Path modelFile, int threads) throws IOException {
        CRC32 crc = new CRC32();
        long size = Files.size(modelFile);
        try (FileChannel ch = FileChannel.open(modelFile, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(size, 1 << 20));
            ch.read(buf, 0);
            crc.update(buf.flip());
            buf.clear();
            ch.read(buf, Math.max(0, size - buf.capacity()));
            crc.update(buf.flip());
        }
        return String.format(Locale.ROOT, "%d-%08x-c%d-t%d", size, crc.getValue(),
                Runtime.getRuntime().availableProcessors(), threads);
    }

    String serialize() {
        StringBuilder sb = new StringBuilder("# rsd forward cost: tokens ratio\n");
        if (!Double.isNaN(forwardMillis)) {
            sb.append(String.format(Locale.ROOT, "# forward_ms %.4f%n", forwardMillis));
        }
        for (int t = 1; t <= maxTokens(); t++) {
            sb.append(t).append(' ').append(String.format(Locale.ROOT, "%.4f", ratio[t])).append('\n');
        }
        return sb.toString();
    }

    static CostModel parse(String text) {
        double ms = text.lines().filter(l -> l.startsWith("# forward_ms "))
                .mapToDouble(l -> Double.parseDouble(l.substring("# forward_ms ".length()).trim())).findFirst().orElse(Double.NaN);
        var lines = text.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        int[] t = new int[lines.size()];
        double[] c = new double[lines.size()];
        for (int i = 0; i < t.length; i++) {
            String[] f = lines.get(i).trim().split("\\s+");
            t[i] = Integer.parseInt(f[0]);
            c[i] = Double.parseDouble(f[1]);
        }
        return of(t, c).withForwardMillis(ms);
    }

}
