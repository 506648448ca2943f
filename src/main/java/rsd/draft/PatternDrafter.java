package rsd.draft;

import java.util.Arrays;
import java.util.List;
import rsd.tokenizer.Tokenizer;

/**
 * {@code patterns}: follows the mined n-gram continuation table (see {@link PatternTable}): the most
 * frequent next piece after the longest known context, then again after that guess, while the table's
 * frequency stays at or above a threshold.
 */
public final class PatternDrafter implements GradedDrafter {
    private static volatile List<PatternTable.Entry> shipped;

    private final List<PatternTable.Entry> entries;
    private final int minPercent;
    private Tokenizer mappedFor;
    private PatternTable table;
    private String lastGrade = "";

    /** Uses the table shipped with rsd and the default threshold (50 %). */
    public PatternDrafter() {
        this(shippedEntries(), 50);
    }

    public PatternDrafter(List<PatternTable.Entry> entries, int minPercent) {
        this.entries = entries;
        this.minPercent = minPercent;
    }

    private static List<PatternTable.Entry> shippedEntries() {
        List<PatternTable.Entry> e = shipped;
        if (e == null) {
            e = PatternTable.readResource();
            shipped = e;
        }
        return e;
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
            table = PatternTable.forTokenizer(entries, context.tokenizer());
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
