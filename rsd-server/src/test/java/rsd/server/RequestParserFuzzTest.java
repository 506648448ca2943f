package rsd.server;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import rsd.decode.GenerationSettings;

/**
 * Coverage-guided fuzzing (Jazzer) of what the server does with a request body before decoding: the
 * bytes parsed as JSON as the server parses them, then validated into a {@link GenerationRequest} (for
 * completions, chat completions and the Responses API). Any
 * body must give either a request the generator can run (a prompt of valid token ids that leaves room
 * for at least one token, settings in range) or an {@link ApiException} with a 4xx status. Another
 * exception would reach the client as a 500.
 *
 * <p>The normal test run replays the seed corpora in {@code RequestParserFuzzTestInputs/} (resources);
 * {@code JAZZER_FUZZ=1} fuzzes instead (docs/testing.md).
 */
class RequestParserFuzzTest {
    private static final int CONTEXT = 512;
    private static final long MAX_NANOS = 5_000_000_000L;
    private static final ByteTokenizer TOKENIZER = new ByteTokenizer();
    private static final RequestParser PARSER = new RequestParser(TOKENIZER, CONTEXT, null);

    @FuzzTest(maxDuration = "60s")
    @DictionaryFile(resourcePath = "request-fields.dict")
    void completions(byte[] body) {
        check(body, false);
    }

    @FuzzTest(maxDuration = "60s")
    @DictionaryFile(resourcePath = "request-fields.dict")
    void chat(byte[] body) {
        check(body, true);
    }

    @FuzzTest(maxDuration = "60s")
    @DictionaryFile(resourcePath = "request-fields.dict")
    void responses(byte[] body) {
        long start = System.nanoTime();
        try {
            checkRunnable(PARSER.parseResponse(OpenAiServer.parseBody(body)), true);
        } catch (ApiException refused) {
            checkRefusal(refused);
        }
        checkTime(start, body);
    }

    private static void check(byte[] body, boolean chat) {
        long start = System.nanoTime();
        try {
            JsonNode json = OpenAiServer.parseBody(body);
            checkRunnable(PARSER.parse(json, chat), chat);
        } catch (ApiException refused) {
            checkRefusal(refused);
        }
        checkTime(start, body);
    }

    private static void checkRefusal(ApiException refused) {
        if (refused.status < 400 || refused.status > 499 || refused.getMessage() == null || refused.getMessage().isBlank()) {
            throw new AssertionError("refused with status " + refused.status + ": " + refused.getMessage());
        }
    }

    private static void checkTime(long start, byte[] body) {
        long nanos = System.nanoTime() - start;
        if (nanos > MAX_NANOS) {
            throw new AssertionError("a " + body.length + "-byte body took " + nanos / 1_000_000 + " ms");
        }
    }

    private static void checkRunnable(GenerationRequest r, boolean chat) {
        GenerationSettings s = r.settings();
        int[] prompt = r.promptIds();
        if (r.chat() != chat || prompt.length == 0 || s.maxTokens() < 1
                || (long) prompt.length + s.maxTokens() > CONTEXT) {
            throw new AssertionError("accepted a request with no room: " + prompt.length + " prompt tokens, max_tokens "
                    + s.maxTokens());
        }
        for (int id : prompt) {
            if (id < 0 || id >= TOKENIZER.vocabSize()) {
                throw new AssertionError("accepted token id " + id);
            }
        }
        if (!(s.temperature() >= 0 && s.temperature() <= 2) || !(s.topP() > 0 && s.topP() <= 1) || s.topK() < 0
                || r.topLogprobs() < -1 || r.topLogprobs() > RequestParser.MAX_LOGPROBS) {
            throw new AssertionError("accepted settings out of range: " + s + ", top logprobs " + r.topLogprobs());
        }
        for (String stop : s.stopStrings()) {
            if (stop.isEmpty()) {
                throw new AssertionError("accepted an empty stop sequence");
            }
        }
    }
}
