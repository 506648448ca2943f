package rsd.decode;

import java.util.List;

/**
 * How to generate: length, sampling (temperature 0 = greedy), and stop strings matched on decoded text.
 * {@code topK} 0 and {@code topP} 1 mean off.
 */
public record GenerationSettings(int maxTokens, float temperature, int topK, float topP, long seed,
                                 List<String> stopStrings) {
    public static GenerationSettings greedy(int maxTokens) {
        return new GenerationSettings(maxTokens, 0f, 0, 1f, 0L, List.of());
    }

    public GenerationSettings withStops(List<String> stops) {
        return new GenerationSettings(maxTokens, temperature, topK, topP, seed, List.copyOf(stops));
    }
}
