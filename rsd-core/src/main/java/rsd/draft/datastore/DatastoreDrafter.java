package rsd.draft.datastore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import rsd.decode.Draft;
import rsd.decode.DraftContext;
import rsd.draft.GradedDrafter;

/**
 * {@code datastore}: continuations of the longest context suffix found in a code {@link Datastore}
 * (retrieval drafting in the manner of REST). The occurrences of the matched suffix are one contiguous
 * range of the suffix array, sorted by what follows them, so the continuations form a trie whose node
 * counts are range sizes. The first branch follows the most frequent continuation token by token while
 * it holds at least {@link #MIN_SHARE} of its node; the second starts with the runner-up first token
 * when that has at least {@link #MIN_ALT_SHARE}, so a token tree can check both where the code disagrees.
 *
 * <p>Grades combine how long the match was with how dominant the first token is, so {@code auto} learns
 * to trust a 12-token match whose continuation always agrees more than a 2-token one split many ways.
 */
public final class DatastoreDrafter implements GradedDrafter {
    /** Longest context suffix searched for. */
    static final int MAX_MATCH = 24;
    /** A chain goes on while its token holds this share of the occurrences that reached it. */
    static final double MIN_SHARE = 0.4;
    static final double MIN_ALT_SHARE = 0.15;
    /** Continuation groups examined per trie node (the rest count as other). */
    private static final int MAX_GROUPS = 48;

    private final Datastore store;
    private final String[] grades = new String[2];

    public DatastoreDrafter(Datastore store) {
        this.store = store;
    }

    @Override
    public String name() {
        return "datastore";
    }

    @Override
    public Draft propose(DraftContext context, int maxTokens) {
        List<Draft> all = proposeAlternatives(context, maxTokens);
        return all.isEmpty() ? Draft.EMPTY : all.getFirst();
    }

    @Override
    public List<Draft> proposeAlternatives(DraftContext context, int maxTokens) {
        if (maxTokens <= 0 || context.length() == 0) {
            return List.of();
        }
        int[] suffix = context.lastTokens(MAX_MATCH);
        long[] match = store.longestMatch(suffix, Math.min(MAX_MATCH, store.depth() - 1));
        int k = (int) match[0];
        if (k == 0) {
            return List.of();
        }
        int room = Math.min(maxTokens, store.depth() - k);
        long[][] groups = groups(match[1], match[2], k);
        long total = match[2] - match[1];
        List<Draft> out = new ArrayList<>(2);
        long[] top = best(groups, -1, k);
        if (top == null) {
            return List.of();
        }
        double share = (double) (top[1] - top[0]) / total;
        int[] chain = chain(top[0], top[1], k, room);
        if (chain.length == 0) {
            return List.of();
        }
        grades[0] = grade(k, share, total);
        out.add(Draft.of(name(), chain));
        long[] second = best(groups, top[0], k);
        if (second != null) {
            double s2 = (double) (second[1] - second[0]) / total;
            if (s2 >= MIN_ALT_SHARE) {
                int[] alt = chain(second[0], second[1], k, room);
                if (alt.length > 0) {
                    grades[1] = "alt" + grade(k, s2, total);
                    out.add(Draft.of(name(), alt));
                }
            }
        }
        return out;
    }

    /**
     * Tokens from offset {@code d} on for the ranks [lo, hi), which agree on the token at d: that token,
     * then the most frequent next one while it keeps {@link #MIN_SHARE} of its node.
     */
    private int[] chain(long lo, long hi, int d, int room) {
        int[] out = new int[room];
        int len = 0;
        while (len < room && d < store.depth()) {
            int t = store.token(store.suffix(lo) + (long) d);
            if (t == Datastore.SEPARATOR) {
                break;
            }
            out[len++] = t;
            d++;
            if (len == room || d >= store.depth()) {
                break;
            }
            long[][] g = groups(lo, hi, d);
            long[] top = best(g, -1, d);
            if (top == null || (double) (top[1] - top[0]) / (hi - lo) < MIN_SHARE) {
                break;
            }
            lo = top[0];
            hi = top[1];
        }
        return Arrays.copyOf(out, len);
    }

    /** The contiguous groups [lo, hi) of ranks that agree on the token at offset d (up to MAX_GROUPS). */
    private long[][] groups(long lo, long hi, int d) {
        List<long[]> g = new ArrayList<>();
        long at = lo;
        while (at < hi && g.size() < MAX_GROUPS) {
            long end = store.groupEnd(at, hi, d);
            g.add(new long[] {at, end});
            at = end;
        }
        return g.toArray(long[][]::new);
    }

    /** The largest group that does not start at {@code skip}, or null; a group that ends its file at offset d never counts. */
    private long[] best(long[][] groups, long skip, int d) {
        long[] best = null;
        for (long[] g : groups) {
            if (g[0] == skip || store.token(store.suffix(g[0]) + (long) d) == Datastore.SEPARATOR) {
                continue;
            }
            if (best == null || g[1] - g[0] > best[1] - best[0]) {
                best = g;
            }
        }
        return best;
    }

    private static String grade(int matched, double share, long occurrences) {
        String m = matched <= 2 ? String.valueOf(matched) : matched <= 4 ? "3-4" : matched <= 8 ? "5-8" : matched <= 16 ? "9-16" : "17+";
        String s = share >= 0.9 ? "90" : share >= 0.6 ? "60" : share >= 0.35 ? "35" : "0";
        return m + "/" + s + (occurrences == 1 ? "/once" : "");
    }

    @Override
    public String lastGrade() {
        return grades[0];
    }

    @Override
    public String grade(int alternative) {
        return grades[alternative];
    }
}
