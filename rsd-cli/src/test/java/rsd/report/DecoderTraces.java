package rsd.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.List;
import rsd.ModeResources;
import rsd.Modes;
import rsd.decode.Decoder;
import rsd.decode.GenerationResult;
import rsd.decode.GenerationSettings;
import rsd.decode.ResultJson;
import rsd.metrics.StepTrace;
import rsd.tokenizer.Tokenizer;

/**
 * Traces made by rsd's real decode loop and drafters, with an {@link OracleModel} in place of a trained
 * model, written in the same JSON lines as {@code rsd generate --trace}.
 */
final class DecoderTraces {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DecoderTraces() {
    }

    record Run(GenerationResult result, String jsonl) {
    }

    static Run generate(Tokenizer tok, String mode, String prompt, String completion) {
        int[] promptIds = tok.encode(prompt);
        int[] completionIds = tok.encode(completion);
        int[] script = Arrays.copyOf(promptIds, promptIds.length + completionIds.length);
        System.arraycopy(completionIds, 0, script, promptIds.length, completionIds.length);
        OracleModel model = new OracleModel(tok.vocabSize(), script, tok.eos());
        GenerationSettings settings = GenerationSettings.greedy(completionIds.length + 8);
        GenerationResult r;
        try (Decoder d = Modes.decoder(mode, ModeResources.of(model, tok))) {
            r = d.generate(promptIds, settings, (id, text, fromGuess) -> { }, () -> false);
        }
        StringBuilder out = new StringBuilder();
        ObjectNode header = JSON.createObjectNode().put("type", "header").put("model", "oracle (real rules, scripted model)")
                .put("mode", mode).put("prompt", prompt);
        ArrayNode ids = header.putArray("prompt_ids");
        Arrays.stream(promptIds).forEach(ids::add);
        header.putObject("settings").put("max_tokens", settings.maxTokens()).put("temperature", 0.0)
                .put("gamma", ModeResources.DEFAULT_GAMMA);
        out.append(header).append('\n');
        // Timings of an oracle say nothing about real speed: they are left out, and the page shows none.
        for (StepTrace s : r.steps()) {
            ObjectNode step = ResultJson.step(s);
            step.remove("ms");
            out.append(step.toString()).append('\n');
        }
        ObjectNode summary = JSON.createObjectNode().put("type", "summary");
        summary.setAll(ResultJson.result(r, true));
        summary.remove(List.of("tokens_per_second", "elapsed_time"));
        out.append(summary).append('\n');
        return new Run(r, out.toString());
    }
}
