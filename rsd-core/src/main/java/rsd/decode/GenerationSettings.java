package rsd.decode;

import java.util.List;
import rsd.error.RsdException;

/**
 * How to generate: length, sampling (temperature 0 = greedy), and stop strings matched on decoded text.
 * {@code topK} 0 and {@code topP} 1 mean off. {@code cancellation} (null: none) stops the generation
 * from another thread.
 */
public record GenerationSettings(int maxTokens, float temperature, int topK, float topP, long seed,
                                 List<String> stopStrings, Cancellation cancellation) {
    /** Settings without a cancellation. */
    public GenerationSettings(int maxTokens, float temperature, int topK, float topP, long seed,
                              List<String> stopStrings) {
        this(maxTokens, temperature, topK, topP, seed, stopStrings, null);
    }

    public static GenerationSettings greedy(int maxTokens) {
        return new GenerationSettings(maxTokens, 0f, 0, 1f, 0L, List.of());
    }

    public GenerationSettings withStops(List<String> stops) {
        return new GenerationSettings(maxTokens, temperature, topK, topP, seed, List.copyOf(stops), cancellation);
    }

    /** True once the cancellation (if any) was asked to stop. */
    public boolean cancelled() {
        return cancellation != null && cancellation.isCancelled();
    }

    /** Settings by name instead of by position: 256 tokens, greedy, no top-k/top-p, seed 0, no stops. */
    public static Builder builder() {
        return new Builder();
    }

    /** Named settings; {@link #build} checks every value (a bad one is an RsdException saying which). */
    public static final class Builder {
        private int maxTokens = 256;
        private double temperature;
        private int topK;
        private double topP = 1;
        private long seed;
        private List<String> stops = List.of();
        private Cancellation cancellation;

        private Builder() {
        }

        /** Most tokens to generate (>= 0). */
        public Builder maxTokens(int n) {
            this.maxTokens = n;
            return this;
        }

        /** 0 = greedy (the default), else sampling at this temperature. */
        public Builder temperature(double t) {
            this.temperature = t;
            return this;
        }

        /** Keep the K likeliest tokens when sampling; 0 = off. */
        public Builder topK(int k) {
            this.topK = k;
            return this;
        }

        /** Nucleus sampling mass in (0, 1]; 1 = off. */
        public Builder topP(double p) {
            this.topP = p;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Stop before any of these texts. */
        public Builder stop(String... texts) {
            this.stops = List.of(texts);
            return this;
        }

        /** Lets another thread stop the generation ({@link Cancellation#cancel()}); null: none. */
        public Builder cancellation(Cancellation token) {
            this.cancellation = token;
            return this;
        }

        public GenerationSettings build() {
            if (maxTokens < 0) {
                throw new RsdException("maxTokens must be >= 0, got " + maxTokens);
            }
            if (!(temperature >= 0) || Double.isInfinite(temperature)) {
                throw new RsdException("temperature must be a finite number >= 0, got " + temperature);
            }
            if (topK < 0) {
                throw new RsdException("topK must be >= 0, got " + topK);
            }
            if (!(topP > 0 && topP <= 1)) {
                throw new RsdException("topP must be in (0, 1], got " + topP);
            }
            return new GenerationSettings(maxTokens, (float) temperature, topK, (float) topP, seed, stops, cancellation);
        }
    }
}
