package rsd.decode;

import java.util.List;
import java.util.Map;
import rsd.metrics.RuleStats;
import rsd.metrics.StepTrace;

/**
 * One generation's output and metrics, defined as in docs/core.md (Metrics): tokensPerSecond counts
 * prefill in the wall time; forwardPasses excludes prefill chunks; tokensPerForward = totalTokens /
 * forwardPasses; acceptanceRate = acceptedTokens / draftedTokens (0 when nothing was drafted).
 *
 * @param stopReason "length", "eos", "stop" (a stop string) or "cancelled"
 * @param steps      every decoding step, for traces and reports
 */
public record GenerationResult(String text, int[] tokenIds, int promptTokens, int totalTokens,
                               double elapsedSeconds, double tokensPerSecond, int forwardPasses,
                               double tokensPerForward, long draftedTokens, long acceptedTokens,
                               double acceptanceRate, Map<String, RuleStats> perRule, String stopReason,
                               List<StepTrace> steps) {

    /** Wall time of the decoding steps alone: every step's forward, verification and streaming, no prefill. */
    public double decodeSeconds() {
        double millis = 0;
        for (StepTrace step : steps) {
            millis += step.millis();
        }
        return millis / 1000;
    }

    /** The rest of the wall time: prefilling the prompt (and setting up the session). */
    public double prefillSeconds() {
        return Math.max(0, elapsedSeconds - decodeSeconds());
    }

    /** Generated tokens per second of decoding, prefill excluded (0 when nothing was decoded). */
    public double decodeTokensPerSecond() {
        double d = decodeSeconds();
        return d > 0 ? totalTokens / d : 0.0;
    }
}
