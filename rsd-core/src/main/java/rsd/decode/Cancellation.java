package rsd.decode;

import java.util.function.BooleanSupplier;

/**
 * Stops a running generation from any thread: after {@link #cancel()}, the generation ends before its
 * next decoding step and returns the text so far with stop reason "cancelled". Give one to
 * {@link GenerationSettings.Builder#cancellation}; a cancelled token stays cancelled, so use a fresh one
 * per generation.
 */
public final class Cancellation implements BooleanSupplier {
    private volatile boolean cancelled;

    /** Asks the generation to stop; safe from any thread, any number of times. */
    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    @Override
    public boolean getAsBoolean() {
        return cancelled;
    }
}
