package rsd.server;

import rsd.decode.GenerationSettings;

/**
 * A validated completion or chat request: the prompt already tokenized, the settings the generator gets,
 * and how to answer (streaming or not; a usage chunk at the end of a stream when asked for).
 */
record GenerationRequest(boolean chat, int[] promptIds, GenerationSettings settings, boolean stream,
                         boolean includeUsage) {
}
