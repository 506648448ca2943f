package rsd.draft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import rsd.decode.Draft;
import rsd.decode.DraftContext;

/**
 * {@code lookup}: context n-gram matching. An incremental index maps every pair of consecutive tokens of
 * the prompt and output so far to the positions that followed it; a proposal takes the position whose
 * preceding tokens match the current suffix longest (at least 2 tokens; the most recent on ties) and
 * copies the continuation that followed there. Names from the signature and docstring and repeated
 * expressions come back this way.
 */
public final class LookupDrafter implements GradedDrafter {
    private final int[] matchLengths = new int[2];
    /** Candidates examined per proposal (the most recent ones). */
    private static final int MAX_CANDIDATES = 64;
    /** Matches longer than this are not measured further. */
    private static final int MAX_MATCH = 32;

    /** How far back the single-token fallback searches. */
    private static final int SINGLE_TOKEN_WINDOW = 1024;

    private final Map<Long, int[]> index = new HashMap<>();
    private final boolean singleTokenFallback;

    /** With the single-token fallback (for auto, which learns its worth separately). */
    public LookupDrafter() {
        this(true);
    }

    /** @param singleTokenFallback also match on the last token alone when no pair matches */
    public LookupDrafter(boolean singleTokenFallback) {
        this.singleTokenFallback = singleTokenFallback;
    }
    private int[] tokens = new int[256];
    private int indexed;
    private int lastMatchLength;

    @Override
    public String name() {
        return "lookup";
    }

    /** Length of the suffix match behind the last proposal (0 if none). */
    public int lastMatchLength() {
        return lastMatchLength;
    }

    @Override
    public String lastGrade() {
        return grade(0);
    }

    @Override
    public Draft propose(DraftContext context, int maxTokens) {
        List<Draft> all = proposeAlternatives(context, maxTokens);
        if (all.isEmpty()) {
            return Draft.EMPTY;
        }
        lastMatchLength = matchLengths[0];
        return all.getFirst();
    }

    /**
     * The continuation after the longest match, then (when there is one) the continuation after the
     * longest match that goes on differently: two branches for a token tree.
     */
    @Override
    public List<Draft> proposeAlternatives(DraftContext context, int maxTokens) {
        lastMatchLength = 0;
        int n = context.length();
        sync(context);
        if (maxTokens <= 0 || n < 3) {
            return List.of();
        }
        int[] positions = index.get(key(tokens[n - 2], tokens[n - 1]));
        if (positions == null) {
            return singleTokenMatch(n, maxTokens);
        }
        int count = positions[0];
        int best = -1;
        int bestLength = 0;
        int second = -1;
        int secondLength = 0;
        for (int c = count; c >= 1 && c > count - MAX_CANDIDATES; c--) {
            int p = positions[c]; // tokens[p-2], tokens[p-1] equal the last two tokens
            if (p >= n) {
                continue; // the current suffix itself
            }
            int length = 2;
            while (length < MAX_MATCH && p - length - 1 >= 0 && tokens[p - length - 1] == tokens[n - length - 1]) {
                length++;
            }
            if (length > bestLength) {
                if (best >= 0 && tokens[best] != tokens[p]) {
                    second = best;
                    secondLength = bestLength;
                }
                bestLength = length;
                best = p;
            } else if (tokens[p] != tokens[best] && length > secondLength) {
                second = p;
                secondLength = length;
            }
        }
        if (best < 0) {
            return List.of();
        }
        List<Draft> out = new ArrayList<>(2);
        out.add(Draft.of(name(), Arrays.copyOfRange(tokens, best, Math.min(n, best + maxTokens))));
        matchLengths[0] = bestLength;
        if (second >= 0 && tokens[second] != tokens[best]) {
            out.add(Draft.of(name(), Arrays.copyOfRange(tokens, second, Math.min(n, second + maxTokens))));
            matchLengths[1] = secondLength;
        }
        lastMatchLength = bestLength;
        return out;
    }

    /**
     * Fallback when the last two tokens never occurred before: the continuation after the most recent
     * earlier occurrence of the last token alone (graded "1", so auto learns how far to trust it).
     */
    private List<Draft> singleTokenMatch(int n, int maxTokens) {
        if (!singleTokenFallback) {
            return List.of();
        }
        int last = tokens[n - 1];
        for (int p = n - 2; p >= Math.max(0, n - SINGLE_TOKEN_WINDOW); p--) {
            if (tokens[p] == last) {
                matchLengths[0] = 1;
                lastMatchLength = 1;
                return List.of(Draft.of(name(), Arrays.copyOfRange(tokens, p + 1, Math.min(n, p + 1 + maxTokens))));
            }
        }
        return List.of();
    }

    @Override
    public String grade(int alternative) {
        int m = matchLengths[alternative];
        String g = m <= 1 ? "1" : m == 2 ? "2" : m == 3 ? "3" : m <= 5 ? "4-5" : m <= 8 ? "6-8" : m <= 16 ? "9-16" : "17+";
        return alternative == 0 ? g : "alt" + g;
    }

    /** Indexes the tokens added since the last call; rebuilds if the context is not an extension. */
    private void sync(DraftContext context) {
        int n = context.length();
        if (n < indexed || (indexed > 0 && context.token(indexed - 1) != tokens[indexed - 1])) {
            reset();
        }
        if (tokens.length < n) {
            tokens = Arrays.copyOf(tokens, Math.max(n, tokens.length * 2));
        }
        for (int i = indexed; i < n; i++) {
            tokens[i] = context.token(i);
            if (i >= 2) {
                // the pair (i-2, i-1) was followed by position i
                long k = key(tokens[i - 2], tokens[i - 1]);
                int[] list = index.get(k);
                if (list == null) {
                    list = new int[4];
                } else if (list[0] + 1 == list.length) {
                    list = Arrays.copyOf(list, list.length * 2);
                }
                list[++list[0]] = i;
                index.put(k, list);
            }
        }
        indexed = n;
    }

    private static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    @Override
    public void reset() {
        index.clear();
        indexed = 0;
        lastMatchLength = 0;
    }
}
