package rsd.draft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import rsd.decode.Draft;
import rsd.decode.DraftContext;
import rsd.decode.ForwardObserver;

/**
 * {@code recycle}: guesses from the model's own earlier predictions (token recycling). Every verification
 * forward yields the logits of every node of its tree, the rejected ones included; for each node's input
 * token the drafter keeps the {@link #K} tokens the model ranked highest after it, the latest forward
 * overwriting older ones. Code repeats its local transitions ({@code self} then {@code .}, {@code )}
 * then {@code :\n}), so the model's last opinion of what follows a token is a good guess of what follows
 * it next time, in any context.
 *
 * <p>A proposal starts at the context's last token: alternative {@code r} takes its r-th recorded
 * successor, then follows each token's first successor. The auto speculator learns the acceptance of each
 * rank apart ({@code recycle#1}, {@code #2}, ...) and puts the alternatives into one token tree as sibling
 * branches. It costs no forward: only the top-K scan of each logits row and a table of
 * vocabulary x K ids.
 */
public final class RecyclingDrafter implements GradedDrafter, ForwardObserver {
    /** Successors kept per token. */
    static final int K = 4;
    /** Alternatives proposed per step (ranks 1..BRANCHES of the last token's successors). */
    static final int BRANCHES = 3;
    private static final String[] GRADES = {"1", "2", "3", "4"};

    /** successors[t * K + r]: the r-th most likely token after t at its last sighting; -1 unknown. */
    private int[] successors = new int[0];
    private final int[] topIds = new int[K];
    private final float[] topValues = new float[K];

    @Override
    public String name() {
        return "recycle";
    }

    @Override
    public String lastGrade() {
        return GRADES[0];
    }

    @Override
    public String grade(int alternative) {
        return GRADES[alternative];
    }

    @Override
    public void observeForward(int[] tokens, float[][] logits) {
        if (logits.length == 0) {
            return;
        }
        int vocab = logits[0].length;
        if (successors.length != vocab * K) {
            successors = new int[Math.multiplyExact(vocab, K)];
            Arrays.fill(successors, -1);
        }
        for (int i = 0; i < tokens.length && i < logits.length; i++) {
            int t = tokens[i];
            if (t < 0 || t >= vocab) {
                continue;
            }
            topK(logits[i]);
            System.arraycopy(topIds, 0, successors, t * K, K);
        }
    }

    /** The K largest entries of a row, best first, into topIds (ties: the lower id, as argmax). */
    private void topK(float[] row) {
        Arrays.fill(topValues, Float.NEGATIVE_INFINITY);
        Arrays.fill(topIds, -1);
        float floor = Float.NEGATIVE_INFINITY;
        for (int id = 0; id < row.length; id++) {
            float v = row[id];
            if (v > floor || (topIds[K - 1] < 0 && v == floor)) {
                int at = K - 1;
                while (at > 0 && (v > topValues[at - 1] || topIds[at - 1] < 0)) {
                    topValues[at] = topValues[at - 1];
                    topIds[at] = topIds[at - 1];
                    at--;
                }
                topValues[at] = v;
                topIds[at] = id;
                floor = topValues[K - 1];
            }
        }
    }

    /** The recorded successors of {@code token}, best first (-1 where none is known). */
    int[] successorsOf(int token) {
        if (token < 0 || (long) token * K >= successors.length) {
            int[] none = new int[K];
            Arrays.fill(none, -1);
            return none;
        }
        return Arrays.copyOfRange(successors, token * K, token * K + K);
    }

    @Override
    public Draft propose(DraftContext context, int maxTokens) {
        List<Draft> all = proposeAlternatives(context, maxTokens);
        return all.isEmpty() ? Draft.EMPTY : all.getFirst();
    }

    @Override
    public List<Draft> proposeAlternatives(DraftContext context, int maxTokens) {
        if (maxTokens <= 0 || context.length() == 0 || successors.length == 0) {
            return List.of();
        }
        int last = context.token(context.length() - 1);
        if ((long) last * K >= successors.length) {
            return List.of();
        }
        List<Draft> out = new ArrayList<>(BRANCHES);
        for (int r = 0; r < BRANCHES; r++) {
            int first = successors[last * K + r];
            if (first < 0) {
                break;
            }
            int[] chain = new int[maxTokens];
            int n = 0;
            for (int t = first; t >= 0 && n < maxTokens; t = successors[t * K]) {
                chain[n++] = t;
            }
            out.add(Draft.of(name(), Arrays.copyOf(chain, n)));
        }
        return out;
    }

    @Override
    public void reset() {
        // The table is kept across sequences: the model's transitions do not depend on the prompt.
    }
}
