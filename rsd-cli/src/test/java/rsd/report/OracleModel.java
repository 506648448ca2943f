package rsd.report;

import java.util.List;
import rsd.testing.HistoryModel;

/**
 * A model that knows its lines: after any prefix of {@code script} (prompt then completion token ids) its
 * greedy choice is the next script token, and end-of-text once the script is done. It stands in for a
 * trained model so that the real decode loop and the real rules produce a realistic trace: the rules
 * guess, the "model" accepts exactly the guesses that match the text.
 */
final class OracleModel extends HistoryModel {
    private final List<int[]> scripts;
    private final int endOfText;
    private final long baseNanos;
    private final long perTokenNanos;

    OracleModel(int vocab, int[] script, int endOfText) {
        this(vocab, List.of(script), endOfText, 0, 0);
    }

    /**
     * Several scripts (one per benchmark problem; the history's prefix picks one) and a simulated forward
     * cost of {@code baseNanos + perTokenNanos * T} for T tokens, so timings follow a chosen cost(T) curve.
     */
    OracleModel(int vocab, List<int[]> scripts, int endOfText, long baseNanos, long perTokenNanos) {
        super(vocab);
        this.scripts = scripts.stream().map(int[]::clone).toList();
        this.endOfText = endOfText;
        this.baseNanos = baseNanos;
        this.perTokenNanos = perTokenNanos;
    }

    /** One-hot logits on the next script token when {@code history} follows a script, else on end-of-text. */
    @Override
    public float[] logitsAfter(List<Integer> history) {
        int n = history.size();
        float[] logits = new float[vocab];
        int next = endOfText;
        for (int[] script : scripts) {
            boolean onScript = n <= script.length;
            for (int i = 0; onScript && i < n; i++) {
                onScript = history.get(i) == script[i];
            }
            if (onScript) {
                next = n < script.length ? script[n] : endOfText;
                break;
            }
        }
        logits[next] = 20f;
        return logits;
    }

    @Override
    protected void spend(int tokens) {
        long nanos = baseNanos + perTokenNanos * tokens;
        if (nanos > 0) {
            long end = System.nanoTime() + nanos;
            try {
                Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            while (System.nanoTime() < end) {
                Thread.onSpinWait();
            }
        }
    }

    @Override
    public int contextLength() {
        return scripts.stream().mapToInt(s -> s.length).max().orElse(0) + 512;
    }

    @Override
    public String name() {
        return "oracle";
    }
}
