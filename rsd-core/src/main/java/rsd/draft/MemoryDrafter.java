package rsd.draft;

import rsd.decode.Draft;
import rsd.decode.DraftContext;

/**
 * {@code memory}: copies what an earlier generation wrote after the same few tokens. Outputs go into a
 * shared {@link OutputMemory} when each generation ends; a server's decode slots and a library instance's
 * successive calls share one, so a client that asks for similar code again (a retry, the next function
 * of a file, an agent's repeated tool call) gets its earlier answer back as guesses. Graded by how many
 * context tokens matched before the continuation.
 */
public final class MemoryDrafter implements GradedDrafter {
    /** Context tokens compared at most (the grade's upper bound). */
    static final int MAX_MATCH = 16;

    private final OutputMemory memory;
    private String grade = "3";

    public MemoryDrafter(OutputMemory memory) {
        this.memory = memory;
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public String lastGrade() {
        return grade;
    }

    @Override
    public Draft propose(DraftContext context, int maxTokens) {
        int[] tail = context.lastTokens(MAX_MATCH);
        OutputMemory.Match m = memory.find(tail, tail.length, maxTokens, MAX_MATCH);
        if (m == null) {
            return Draft.EMPTY;
        }
        grade = m.matched() >= 8 ? "8+" : m.matched() >= 4 ? "4-7" : "3";
        return Draft.of(name(), m.tokens());
    }

    @Override
    public void finish(DraftContext context) {
        int from = context.promptLength();
        int n = context.length() - from;
        if (n <= 0) {
            return;
        }
        int[] generated = new int[n];
        for (int i = 0; i < n; i++) {
            generated[i] = context.token(from + i);
        }
        memory.add(generated);
    }
}
