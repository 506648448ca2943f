package rsd.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import rsd.decode.Decoder;
import rsd.decode.SingleDrafterSpeculator;
import rsd.decode.TextGenerator;
import rsd.testing.FakeModel;
import rsd.testing.OracleDrafter;

/**
 * logprobs come from the target model's logits at each emitted position: the same in a speculative mode
 * as in standard decoding, equal to the log-softmax of the model's logits after the generated history,
 * and a proper log-distribution. The model is a fake whose logits depend on the history alone.
 */
class LogprobsTest {
    private static final ByteTokenizer TOKENIZER = new ByteTokenizer();
    private static final FakeModel MODEL = new FakeModel(TOKENIZER.vocabSize(), 512, 7, 6f, -1e4f);

    private static OpenAiServer server(Supplier<TextGenerator> generator) {
        return OpenAiServer.start(new ServerOptions("127.0.0.1", 0, 1, 2, 1 << 16, 512, "m", 1000), generator::get,
                OpenAiServerSdkTest.QUIET);
    }

    private static JsonNode post(OpenAiServer s, String path, String body) throws Exception {
        AccessAndExtrasTest.Reply r = AccessAndExtrasTest.raw(s.port(), "POST", path, body, "Host: 127.0.0.1",
                "Content-Type: application/json");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    /** Every SSE data event but [DONE], parsed. */
    private static List<JsonNode> stream(OpenAiServer s, String path, String body) throws Exception {
        AccessAndExtrasTest.Reply r = AccessAndExtrasTest.raw(s.port(), "POST", path, body, "Host: 127.0.0.1",
                "Content-Type: application/json");
        assertThat(r.status()).isEqualTo(200);
        List<JsonNode> events = new ArrayList<>();
        for (String line : r.body().split("\n")) {
            if (line.startsWith("data: ") && !line.equals("data: [DONE]")) {
                events.add(OpenAiServer.JSON.readTree(line.substring(6)));
            }
        }
        return events;
    }

    private static final String COMPLETION = "{\"prompt\":\"def f(x):\",\"max_tokens\":40,\"temperature\":0,\"logprobs\":5%s}";
    private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":30,"
            + "\"temperature\":0,\"logprobs\":true,\"top_logprobs\":3%s}";

    @Test
    void speculativeLogprobsEqualStandardOnesAndTheModelsLogSoftmax() throws Exception {
        JsonNode standard, speculative;
        List<JsonNode> standardChat, speculativeChat;
        JsonNode standardChatWhole;
        try (OpenAiServer s = server(() -> new Decoder(MODEL, TOKENIZER, null, "standard"))) {
            standard = post(s, "/v1/completions", COMPLETION.formatted(""));
            standardChat = stream(s, "/v1/chat/completions", CHAT.formatted(",\"stream\":true"));
            standardChatWhole = post(s, "/v1/chat/completions", CHAT.formatted(""));
        }
        List<JsonNode> speculativeStream;
        try (OpenAiServer s = server(() -> new Decoder(MODEL, TOKENIZER,
                new SingleDrafterSpeculator(new OracleDrafter(MODEL, 0.3, 11, "oracle"), 5), "oracle"))) {
            speculative = post(s, "/v1/completions", COMPLETION.formatted(""));
            speculativeStream = stream(s, "/v1/completions", COMPLETION.formatted(",\"stream\":true"));
            speculativeChat = stream(s, "/v1/chat/completions", CHAT.formatted(",\"stream\":true"));
        }
        assertThat(speculative.at("/rsd/accepted_tokens").asInt()).as("guesses were accepted").isPositive();
        assertThat(speculative.at("/choices/0/text")).isEqualTo(standard.at("/choices/0/text"));
        JsonNode lp = standard.at("/choices/0/logprobs");
        assertThat(speculative.at("/choices/0/logprobs")).isEqualTo(lp);
        int n = standard.at("/usage/completion_tokens").asInt();
        assertThat(lp.get("tokens")).hasSize(n);

        // streamed: the chunks' logprobs, concatenated, are the whole answer's
        List<JsonNode> tokens = new ArrayList<>(), values = new ArrayList<>(), offsets = new ArrayList<>();
        for (JsonNode e : speculativeStream) {
            JsonNode l = e.at("/choices/0/logprobs");
            if (l.isObject()) {
                l.get("tokens").forEach(tokens::add);
                l.get("token_logprobs").forEach(values::add);
                l.get("text_offset").forEach(offsets::add);
            }
        }
        assertThat(tokens).containsExactlyElementsOf(lp.get("tokens"));
        assertThat(values).containsExactlyElementsOf(lp.get("token_logprobs"));
        assertThat(offsets).containsExactlyElementsOf(lp.get("text_offset"));

        // the values are the log-softmax of the model's logits after prompt + the tokens before
        List<Integer> history = new ArrayList<>();
        for (int id : rsd.decode.Prompts.completion(TOKENIZER, "def f(x):")) {
            history.add(id);
        }
        // the generated ids (the text is bytes that need not be UTF-8), from the decoder itself
        int[] ids = new Decoder(MODEL, TOKENIZER, null, "standard").generate(rsd.decode.Prompts.completion(TOKENIZER,
                "def f(x):"), rsd.decode.GenerationSettings.greedy(40), null, null).tokenIds();
        assertThat(ids).hasSize(n);
        for (int k = 0; k < n; k++) {
            float[] logits = MODEL.logitsAfter(history);
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (float v : logits) {
                max = Math.max(max, v);
            }
            for (float v : logits) {
                sum += Math.exp(v - max);
            }
            double expected = logits[ids[k]] - max - Math.log(sum);
            assertThat(lp.get("token_logprobs").get(k).asDouble()).isCloseTo(expected, within(1e-9));
            JsonNode top = lp.get("top_logprobs").get(k);
            assertThat(top.size()).isBetween(1, 5);
            double previous = 0;
            for (var it = top.elements(); it.hasNext(); ) {
                double v = it.next().asDouble();
                assertThat(v).isLessThanOrEqualTo(previous);
                previous = v;
            }
            // greedy: the chosen token is the most likely one
            assertThat(top.elements().next().asDouble()).isEqualTo(lp.get("token_logprobs").get(k).asDouble());
            history.add(ids[k]);
        }

        // chat, streamed in both modes and whole: the same per-token objects
        assertThat(chatEntries(speculativeChat)).isEqualTo(chatEntries(standardChat));
        List<JsonNode> whole = new ArrayList<>();
        standardChatWhole.at("/choices/0/logprobs/content").forEach(whole::add);
        assertThat(chatEntries(standardChat)).isEqualTo(whole);
        assertThat(whole).isNotEmpty();
        for (JsonNode t : whole) {
            assertThat(t.get("top_logprobs")).hasSize(3);
            assertThat(t.get("logprob").asDouble()).isLessThanOrEqualTo(0);
            assertThat(t.get("bytes").isArray()).isTrue();
        }
    }

    private static List<JsonNode> chatEntries(List<JsonNode> events) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode e : events) {
            JsonNode l = e.at("/choices/0/logprobs/content");
            if (l.isArray()) {
                l.forEach(out::add);
            }
        }
        return out;
    }

    @Test
    void theLogprobsOfAllTokensFormADistribution() {
        float[] logits = MODEL.logitsAfter(List.of(256, 100, 101));
        double total = 0;
        for (int id = 0; id < logits.length; id++) {
            total += Math.exp(TokenLogprobs.entry(id, logits, 0).logprob());
        }
        assertThat(total).isCloseTo(1.0, within(1e-9));
        TokenLogprobs.Entry e = TokenLogprobs.entry(5, logits, 20);
        assertThat(e.topIds()).hasSize(20).doesNotHaveDuplicates();
        for (int i = 1; i < 20; i++) {
            assertThat(e.topLogprobs()[i]).isLessThanOrEqualTo(e.topLogprobs()[i - 1]);
        }
        float smallestTop = logits[e.topIds()[19]];
        int above = 0;
        for (float v : logits) {
            if (v > smallestTop) {
                above++;
            }
        }
        assertThat(above).as("no logit outside the top 20 beats its last").isLessThan(20);
        // a masked token (BOS: -1e4) has a finite, very negative logprob
        assertThat(TokenLogprobs.entry(0, logits, 0).logprob()).isLessThan(-1000);
    }
}
