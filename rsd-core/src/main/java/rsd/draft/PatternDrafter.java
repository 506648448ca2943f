package rsd.draft;

import java.util.Arrays;
import java.util.List;
import rsd.decode.Draft;
import rsd.decode.DraftContext;
import rsd.tokenizer.Tokenizer;

/**
 * {@code patterns}: follows the mined n-gram continuation table (see {@link PatternTable}): the most
 * frequent next piece after the longest known context, then again after that guess, while the table's
 * frequency stays at or above a threshold.
 */
public final class PatternDrafter implements GradedDrafter {
    /**
     * Tables shipped with rsd: mined with the cl100k pieces of Llama 3 and, for the embedded model's own
     * smaller vocabulary, with its pieces. A tokenizer gets the table most of whose entries it can map.
     */
    static final List<String> SHIPPED = List.of(PatternTable.RESOURCE, "/rsd/draft/patterns-rsd-code.tsv.gz");
    private static volatile List<List<PatternTable.Entry>> shipped;

    private final List<List<PatternTable.Entry>> tables;
    private final int minPercent;
    private Tokenizer mappedFor;
    private PatternTable table;
    private String lastGrade = "";

    /** Uses the table shipped with rsd and the default threshold (50 %). */
    public PatternDrafter() {
        this.tables = shippedTables();
        this.minPercent = 50;
    }

    public PatternDrafter(List<PatternTable.Entry> entries, int minPercent) {
        this.tables = List.of(entries);
        this.minPercent = minPercent;
    }

    private static List<List<PatternTable.Entry>> shippedTables() {
        List<List<PatternTable.Entry>> t = shipped;
        if (t == null) {
            List<List<PatternTable.Entry>> loaded = new java.util.ArrayList<>();
            for (String resource : SHIPPED) {
                if (PatternDrafter.class.getResource(resource) != null) {
                    loaded.add(PatternTable.readResource(resource));
                }
            }
            t = List.copyOf(loaded);
            shipped = t;
        }
        return t;
    }

    /** The table that maps the largest share of its entries into this vocabulary. */
    private PatternTable bestTable(rsd.tokenizer.Tokenizer tokenizer) {
        PatternTable best = null;
        double bestShare = -1;
        for (List<PatternTable.Entry> entries : tables) {
            PatternTable t = PatternTable.forTokenizer(entries, tokenizer);
            double share = entries.isEmpty() ? 0 : (double) t.size() / entries.size();
            if (share > bestShare) {
                best = t;
                bestShare = share;
            }
        }
        return best;
    }

    @Override
    public String name() {
        return "patterns";
    }

    @Override
    public String lastGrade() {
        return lastGrade;
    }

    @Override
    public Draft propose(DraftContext context, int maxTokens) {
        if (maxTokens <= 0 || context.length() == 0) {
            return Draft.EMPTY;
        }
        if (mappedFor != context.tokenizer()) {
            table = bestTable(context.tokenizer());
            mappedFor = context.tokenizer();
        }
        int[] run = Arrays.copyOf(context.lastTokens(PatternTable.MAX_ORDER), PatternTable.MAX_ORDER + maxTokens);
        int known = Math.min(PatternTable.MAX_ORDER, context.length());
        int guessed = 0;
        while (guessed < maxTokens) {
            long v = table.next(run, known + guessed);
            if (v < 0 || (v & 0xFF) < minPercent) {
                break;
            }
            if (guessed == 0) {
                int percent = (int) (v & 0xFF);
                lastGrade = "o" + ((v >>> 8) & 0xFF) + (percent >= 95 ? "p95" : percent >= 80 ? "p80" : percent >= 65 ? "p65" : "p50");
            }
            run[known + guessed] = (int) (v >>> 16);
            guessed++;
        }
        return guessed == 0 ? Draft.EMPTY : Draft.of(name(), Arrays.copyOfRange(run, known, known + guessed));
    }
}
