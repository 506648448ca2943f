package rsd.decode;

/**
 * Implemented by speculators and drafters that need the generation settings, such as a draft model that
 * must sample its guesses with the same temperature, top-k and top-p as the target. The decoder calls
 * {@link #startSequence} after {@code reset()} at the start of every generation; a speculator that wraps
 * drafters forwards the call to those that implement this interface.
 */
public interface SamplingAware {
    void startSequence(GenerationSettings settings);
}
