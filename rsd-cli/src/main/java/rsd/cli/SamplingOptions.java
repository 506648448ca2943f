package rsd.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import picocli.CommandLine.Option;
import rsd.decode.GenerationSettings;
import rsd.error.RsdException;

/** Sampling options shared by generate and bench, checked the same way for both. */
final class SamplingOptions {
    @Option(names = {"--temp", "--temperature"}, paramLabel = "T", description = "0 = greedy (default: ${DEFAULT-VALUE})")
    float temperature = 0f;

    @Option(names = "--top-k", paramLabel = "K", description = "keep the K likeliest tokens, 0 = off (default: ${DEFAULT-VALUE})")
    int topK = 0;

    @Option(names = "--top-p", paramLabel = "P", description = "nucleus sampling mass, 1 = off (default: ${DEFAULT-VALUE})")
    float topP = 1f;

    @Option(names = "--seed", paramLabel = "S", description = "random seed for sampling (default: ${DEFAULT-VALUE})")
    long seed = 0;

    /** The settings, after checking every value; a bad one is a one-line user error. */
    GenerationSettings settings(int maxTokens, List<String> stops) {
        if (maxTokens < 0) {
            throw new RsdException("--max-tokens must be >= 0, got " + maxTokens);
        }
        if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
            throw new RsdException("--temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new RsdException("--top-k must be >= 0, got " + topK);
        }
        if (!(topP > 0f && topP <= 1f)) {
            throw new RsdException("--top-p must be in (0, 1], got " + topP);
        }
        return new GenerationSettings(maxTokens, temperature, topK, topP, seed, List.copyOf(stops));
    }

    static void putJson(GenerationSettings s, ObjectNode out) {
        out.put("max_tokens", s.maxTokens());
        out.put("temperature", s.temperature());
        out.put("top_k", s.topK());
        out.put("top_p", s.topP());
        out.put("seed", s.seed());
    }
}
