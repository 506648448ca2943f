package rsd.server;

import rsd.decode.GenerationSettings;

/**
 * A validated completion or chat request: the prompt already tokenized, the settings the generator gets,
 * and how to answer (streaming or not; a usage chunk at the end of a stream when asked for; per-token
 * log-probabilities with {@code topLogprobs} alternatives each, or none when it is -1).
 */
record GenerationRequest(boolean chat, int[] promptIds, GenerationSettings settings, boolean stream,
                         boolean includeUsage, int topLogprobs) {
}
