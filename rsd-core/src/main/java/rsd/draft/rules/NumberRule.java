package rsd.draft.rules;

import java.util.HashMap;
import java.util.Map;
import rsd.decode.Draft;
import rsd.decode.DraftContext;
import rsd.decode.Drafter;
import rsd.tokenizer.Tokenizer;

/**
 * {@code numbers}: Llama 3 splits a number from the space before it (" " then "2") and cuts digits into
 * groups of at most 3. A lone space token after an operator on a code line almost always precedes a
 * number; the rule guesses the digit group that most often followed the same operator and space in the
 * context, else "0" (after ==, !=, +, -, [, ...) or "1".
 */
final class NumberRule implements Drafter {
    private static final int SCAN = 2048;

    @Override
    public String name() {
        return "numbers";
    }

    @Override
    public Draft propose(DraftContext context, int maxTokens) {
        int n = context.length();
        if (maxTokens <= 0 || n < 2) {
            return Draft.EMPTY;
        }
        Tokenizer tokenizer = context.tokenizer();
        int space = tokenizer.idOf(" ");
        if (space < 0 || context.token(n - 1) != space) {
            return Draft.EMPTY;
        }
        int operator = context.token(n - 2);
        String op = tokenizer.piece(operator);
        if (op.isBlank() || op.endsWith("\n") || Character.isLetterOrDigit(op.charAt(op.length() - 1))) {
            return Draft.EMPTY; // after indentation or a word the space is not a number's
        }
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = Math.max(2, n - SCAN); i < n; i++) {
            if (context.token(i - 1) == space && context.token(i - 2) == operator && isDigits(tokenizer.piece(context.token(i)))) {
                counts.merge(context.token(i), 1, Integer::sum);
            }
        }
        int best = counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(-1);
        if (best < 0) {
            best = tokenizer.idOf(op.strip().equals("*") || op.strip().equals("/") ? "2" : "0");
        }
        return best < 0 ? Draft.EMPTY : Draft.of(name(), best);
    }

    private static boolean isDigits(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!Character.isDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
