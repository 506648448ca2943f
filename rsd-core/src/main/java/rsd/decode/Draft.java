package rsd.decode;

import java.util.Arrays;

/**
 * A guessed continuation: token ids, the rule that proposed each token, and (for a draft model) the
 * probability the drafter gave each token, for lossless sampling; {@code null} for deterministic rules.
 */
public record Draft(int[] tokens, String[] rules, float[][] probabilities) {
    public static final Draft EMPTY = new Draft(new int[0], new String[0], null);

    public static Draft of(String rule, int... tokens) {
        String[] r = new String[tokens.length];
        Arrays.fill(r, rule);
        return new Draft(tokens.clone(), r, null);
    }

    public int size() {
        return tokens.length;
    }

    public boolean isEmpty() {
        return tokens.length == 0;
    }
}
