package rsd.draft;

/**
 * A drafter whose proposals come in grades of different reliability (lookup: how long the matched
 * suffix was; patterns: how frequent the mined continuation is). The auto speculator learns acceptance
 * per grade, so a long context match is trusted more than a two-token one.
 */
public interface GradedDrafter extends Drafter {
    /** Grade of the last non-empty proposal (a short stable label). */
    String lastGrade();
}
