package rsd.metrics;

/** How many tokens a rule guessed and how many of those the model accepted. */
public record RuleStats(long drafted, long accepted) {
    public double acceptanceRate() {
        return drafted == 0 ? 0.0 : (double) accepted / drafted;
    }

    public RuleStats plus(RuleStats o) {
        return new RuleStats(drafted + o.drafted, accepted + o.accepted);
    }
}
