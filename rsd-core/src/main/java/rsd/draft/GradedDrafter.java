package rsd.draft;

import rsd.decode.Draft;
import rsd.decode.DraftContext;
import rsd.decode.Drafter;

/**
 * A drafter whose proposals come in grades of different reliability (lookup: how long the matched
 * suffix was; patterns: how frequent the mined continuation is). The auto speculator learns acceptance
 * per grade, so a long context match is trusted more than a two-token one.
 */
public interface GradedDrafter extends Drafter {
    /** Grade of the last non-empty proposal (a short stable label). */
    String lastGrade();

    /**
     * Several alternative guesses at once (verified as sibling branches of a token tree), best first.
     * Default: the single proposal.
     */
    default java.util.List<Draft> proposeAlternatives(DraftContext context, int maxTokens) {
        Draft d = propose(context, maxTokens);
        return d.isEmpty() ? java.util.List.of() : java.util.List.of(d);
    }

    /** Grade of alternative {@code i} of the last {@link #proposeAlternatives} call. */
    default String grade(int alternative) {
        return lastGrade();
    }
}
